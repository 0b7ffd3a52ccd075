"""The Django admin shows inbound events, messages and campaign deliveries read only, without
bodies, addresses or payloads."""

import pytest
from django.urls import reverse

from inbox.models import InboundEvent, InboxChannel, Message
from tests.factories import inbound, inbox_with

SECRET_TEXT = "Meine IBAN ist DE89370400440532013000"


@pytest.fixture
def staff_admin(ada):
    ada.is_staff = True
    ada.save(update_fields=["is_staff"])
    return ada


@pytest.fixture
def message(alice):
    inbox = inbox_with("Service", members=[alice])
    channel = InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")
    return inbound(inbox, address="+4917012345689", body=SECRET_TEXT, inbox_channel=channel)


@pytest.fixture
def event(db):
    return InboundEvent.objects.create(
        provider="twilio",
        event_id="SM" + "1" * 32,
        payload={"From": "+4917012345689", "To": "+4930999999", "Body": SECRET_TEXT},
        error="No inbox owns sms +4930999999",
    )


@pytest.mark.parametrize("model", ["inboundevent", "message"])
def test_the_lists_show_no_text_or_sender(client_for, staff_admin, message, event, model):
    response = client_for(staff_admin).get(reverse(f"admin:inbox_{model}_changelist"))

    assert response.status_code == 200
    assert SECRET_TEXT.encode() not in response.content
    assert b"12345689" not in response.content


def test_the_detail_pages_are_read_only_and_without_text(client_for, staff_admin, message, event):
    client = client_for(staff_admin)
    for url in [
        reverse("admin:inbox_message_change", args=[message.pk]),
        reverse("admin:inbox_inboundevent_change", args=[event.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert SECRET_TEXT.encode() not in response.content
        assert b'name="_save"' not in response.content


def test_changing_adding_and_deleting_are_refused(client_for, staff_admin, message, event):
    client = client_for(staff_admin)
    pk = message.pk

    change = client.post(reverse("admin:inbox_message_change", args=[pk]), {"body": "changed"})
    add = client.get(reverse("admin:inbox_inboundevent_add"))
    delete = client.post(
        reverse("admin:inbox_inboundevent_delete", args=[event.pk]), {"post": "yes"}
    )

    assert change.status_code == 403 and add.status_code == 403 and delete.status_code == 403
    assert Message.objects.get(pk=pk).body == SECRET_TEXT
    assert InboundEvent.objects.filter(pk=event.pk).exists()


def test_the_routing_filter_lists_unrouted_events(client_for, staff_admin, event):
    from django.utils import timezone

    InboundEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now())
    response = client_for(staff_admin).get(
        reverse("admin:inbox_inboundevent_changelist"), {"routing": "unrouted"}
    )

    assert response.status_code == 200
    assert f">{event.pk}<".encode() in response.content


def test_campaign_deliveries_are_listed_read_only(client_for, staff_admin):
    client = client_for(staff_admin)
    response = client.get(reverse("admin:campaigns_campaignrecipient_changelist"))

    assert response.status_code == 200
    assert client.get(reverse("admin:campaigns_campaignrecipient_add")).status_code == 403


def test_people_without_django_admin_access_are_sent_to_log_in(client_for, alice, event):
    response = client_for(alice).get(reverse("admin:inbox_inboundevent_changelist"))

    assert response.status_code == 302
