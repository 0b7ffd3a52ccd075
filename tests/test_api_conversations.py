"""/api/v1/conversations and their messages (read), /api/v1/messages (send through the one
outbound path, refusing blocked contacts and opt-outs), /api/v1/campaigns and recipients."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient
from contacts.actions import block_contact
from contacts.consent_actions import record_opt_out
from inbox.channels import locmem
from inbox.models import Conversation, DeliveryStatus, InboxChannel, Message
from tests.factories import ContactFactory, identity, inbound, inbox_with

pytest_plugins = ["tests.api_fixtures"]
pytestmark = pytest.mark.django_db
JANA = "+491701234567"


@pytest.fixture(autouse=True)
def _commit_callbacks_run_at_once(monkeypatch):
    monkeypatch.setattr(
        "django.db.transaction.on_commit", lambda func, using=None, robust=False: func()
    )


@pytest.fixture(autouse=True)
def _locmem_sms(settings):
    settings.SMS_BACKEND = "locmem"
    locmem.reset()
    yield
    locmem.reset()


@pytest.fixture
def inbox_a(alice):
    inbox = inbox_with("A", members=[alice])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4940111111")
    return inbox


@pytest.fixture
def jana():
    contact = ContactFactory(first_name="Jana")
    identity(contact, "phone", JANA)
    return contact


def _send(api, inbox, contact, **extra):
    body = {
        "contact_id": contact.pk,
        "inbox_id": inbox.pk,
        "channel": "sms",
        "address": JANA,
        "body": "Ihre Bestellung ist unterwegs.",
        **extra,
    }
    return api.post("/api/v1/messages", body)


def test_a_message_is_sent_through_the_one_outbound_path(api_for, inbox_a, jana, ada):
    response = _send(api_for(), inbox_a, jana)

    assert response.status_code == 201, response.content
    body = response.json()
    message = Message.objects.get(pk=body["message"]["id"])
    assert body["new_conversation"] is True
    assert message.author == ada
    assert message.conversation.inbox == inbox_a
    assert message.status in (DeliveryStatus.SENT, DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
    assert [sms.to for sms in locmem.outbox] == [JANA]


def test_a_retry_with_the_same_key_sends_once(api_for, inbox_a, jana):
    client = api_for()
    headers = {"Idempotency-Key": "order-4711-shipped"}

    first = client.post(
        "/api/v1/messages",
        {
            "contact_id": jana.pk,
            "inbox_id": inbox_a.pk,
            "channel": "sms",
            "address": JANA,
            "body": "Unterwegs.",
        },
        headers=headers,
    )
    again = client.post(
        "/api/v1/messages",
        {
            "contact_id": jana.pk,
            "inbox_id": inbox_a.pk,
            "channel": "sms",
            "address": JANA,
            "body": "Unterwegs.",
        },
        headers=headers,
    )

    assert first.status_code == again.status_code == 201
    assert again["Idempotency-Replayed"] == "true"
    assert Message.objects.filter(direction="out").count() == 1
    assert len(locmem.outbox) == 1


def test_a_blocked_contact_gets_nothing(api_for, inbox_a, jana, ada):
    block_contact(jana, reason="Beschimpfungen", actor=ada)

    response = _send(api_for(), inbox_a, jana)

    assert response.status_code == 422
    assert response.json()["type"].endswith("/refused")
    assert "blocked" in response.json()["detail"]
    assert not Message.objects.filter(direction="out").exists()


def test_an_opted_out_address_gets_nothing(api_for, inbox_a, jana):
    record_opt_out(jana.identities.get(), channel="sms", source="keyword", keyword="STOP")

    response = _send(api_for(), inbox_a, jana)

    assert response.status_code == 422
    assert response.json()["type"].endswith("/opted-out")
    assert not Message.objects.filter(direction="out").exists()
    assert locmem.outbox == []


def test_an_address_that_is_not_the_contacts_is_422(api_for, inbox_a, jana):
    response = _send(api_for(), inbox_a, jana, address="+491709999999")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "address"


def test_sending_needs_messages_write(api_for, inbox_a, jana):
    response = _send(api_for(scopes=["contacts:read", "conversations:read"]), inbox_a, jana)

    assert response.status_code == 403
    assert response.json()["scope"] == "messages:write"


def test_conversations_and_messages_are_read_with_filters(api_for, inbox_a):
    message = inbound(inbox_a, address=JANA)
    conversation = message.conversation
    other = inbound(inbox_a, address="+491705555555").conversation
    Conversation.objects.filter(pk=other.pk).update(
        status="resolved", updated_at=timezone.now() - timedelta(days=3)
    )
    client = api_for()

    listed = client.get("/api/v1/conversations", status="open").json()["items"]
    recent = client.get(
        "/api/v1/conversations", updated_since=(timezone.now() - timedelta(days=1)).isoformat()
    ).json()["items"]
    by_inbox = client.get("/api/v1/conversations", inbox=inbox_a.pk).json()["items"]
    got = client.get(f"/api/v1/conversations/{conversation.pk}").json()
    messages = client.get(f"/api/v1/conversations/{conversation.pk}/messages").json()["items"]

    assert [c["id"] for c in listed] == [conversation.pk]
    assert [c["id"] for c in recent] == [conversation.pk]
    assert {c["id"] for c in by_inbox} == {conversation.pk, other.pk}
    assert got["inbox_id"] == inbox_a.pk and got["status"] == "open"
    assert [m["body"] for m in messages] == [message.body]
    assert client.get("/api/v1/conversations", status="closed").status_code == 422


def test_a_conversation_list_page_has_a_fixed_query_count(api_for, inbox_a):
    for n in range(12):
        inbound(inbox_a, address=f"+49170555{n:04d}")
    client = api_for(inboxes=[inbox_a])
    client.get("/api/v1/conversations", limit=1)

    counts = []
    for limit in (2, 12):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/conversations", limit=limit).status_code == 200
        counts.append(len(queries))

    # The token, its inboxes, the page.
    assert counts == [3, 3]


def test_campaigns_and_their_recipients_are_read(api_for, inbox_a, jana):
    campaign = Campaign.objects.create(inbox=inbox_a, name="Sommer", channel="sms", body="Hallo")
    recipient = CampaignRecipient.objects.create(
        campaign=campaign,
        contact=jana,
        identity=jana.identities.get(),
        address=JANA,
        status="delivered",
    )
    client = api_for()

    listed = client.get("/api/v1/campaigns").json()["items"]
    got = client.get(f"/api/v1/campaigns/{campaign.pk}").json()
    recipients = client.get(f"/api/v1/campaigns/{campaign.pk}/recipients").json()["items"]
    delivered = client.get(
        f"/api/v1/campaigns/{campaign.pk}/recipients", status="delivered"
    ).json()["items"]
    failed = client.get(f"/api/v1/campaigns/{campaign.pk}/recipients", status="failed").json()

    assert [c["id"] for c in listed] == [campaign.pk]
    assert got["name"] == "Sommer"
    assert [r["id"] for r in recipients] == [recipient.pk] == [r["id"] for r in delivered]
    assert failed["items"] == []
    assert client.get("/api/v1/campaigns", limit=500).status_code == 422


def test_campaigns_need_their_scope(api_for, inbox_a):
    response = api_for(scopes=["contacts:read"]).get("/api/v1/campaigns")

    assert response.status_code == 403
    assert response.json()["scope"] == "campaigns:read"
