"""The outbox: events are rows written in the transaction of the change they describe, one
delivery per subscribed endpoint, with personal data only for endpoints that asked."""

import pytest
from django.db import transaction

from contacts import actions as contact_actions
from contacts import consent_actions
from inbox import actions
from inbox.actions import assignment
from surveys.models import Survey, SurveyInvitation
from tests.factories import ContactFactory, identity, inbound, inbox_with
from tests.webhooks_helpers import endpoint_for
from webhooks import delivery
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from webhooks.payloads import merged

pytestmark = pytest.mark.django_db

URL = "https://crm.example.com/hooks"


@pytest.fixture(autouse=True)
def _public_dns(monkeypatch):
    # crm.example.com resolves to a public address without asking a DNS server.
    monkeypatch.setattr("webhooks.ssrf.resolve", lambda host, port: ["93.184.215.14"])


def types():
    return list(WebhookEvent.objects.order_by("id").values_list("type", flat=True))


def test_nothing_is_written_without_an_endpoint(ada):
    contact_actions.create_contact(actor=ada, first_name="Erika")

    assert WebhookEvent.objects.count() == 0


def test_one_event_with_one_delivery_per_subscribed_endpoint(ada):
    everything, _ = endpoint_for(ada, URL)
    contacts_only, _ = endpoint_for(ada, URL + "/c", event_types=["contact.created"])
    _messages_only, _ = endpoint_for(ada, URL + "/m", event_types=["message.created"])
    disabled, _ = endpoint_for(ada, URL + "/d")
    disabled.enabled = False
    disabled.save()

    contact_actions.create_contact(actor=ada, first_name="Erika")

    event = WebhookEvent.objects.get()
    assert event.type == "contact.created"
    endpoints = set(WebhookDelivery.objects.values_list("endpoint_id", flat=True))
    assert endpoints == {everything.pk, contacts_only.pk}
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"pending"}


def test_a_rolled_back_change_leaves_no_event(ada):
    endpoint_for(ada, URL)

    with pytest.raises(RuntimeError), transaction.atomic():
        contact_actions.create_contact(actor=ada, first_name="Erika")
        assert WebhookEvent.objects.count() == 1  # written in the change's transaction
        raise RuntimeError("the change fails after the event was written")

    assert WebhookEvent.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0


def test_the_nudge_is_published_once_after_commit(ada, django_capture_on_commit_callbacks):
    endpoint_for(ada, URL)

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        contact_actions.create_contact(actor=ada, first_name="Erika")
        contact_actions.create_contact(actor=ada, first_name="Max")

    assert WebhookEvent.objects.count() == 2
    assert len([c for c in callbacks if c.__name__ == "_nudge"]) == 1


def test_without_the_personal_data_switch_only_ids_and_statuses_go_out(ada):
    public, _ = endpoint_for(ada, URL)
    personal, _ = endpoint_for(ada, URL + "/p", personal=True)
    contact = contact_actions.create_contact(
        actor=ada, first_name="Erika", last_name="Mustermann", identities=[("email", "e@x.de")]
    )

    event = WebhookEvent.objects.get()
    plain = delivery.body_for(event, public)
    full = delivery.body_for(event, personal)
    assert str(contact.pk) in plain
    assert "Erika" not in plain and "e@x.de" not in plain and "Mustermann" not in plain
    assert "Erika" in full and "e@x.de" in full


def test_no_personal_part_is_stored_when_no_endpoint_wants_it(ada):
    endpoint_for(ada, URL)
    contact_actions.create_contact(actor=ada, first_name="Erika")

    assert WebhookEvent.objects.get().personal == {}


def test_erasing_a_contact_empties_the_personal_part_of_its_events(ada):
    endpoint_for(ada, URL, personal=True)
    contact = contact_actions.create_contact(actor=ada, first_name="Erika")
    assert WebhookEvent.objects.get().personal

    contact_actions.delete_contact(contact, actor=ada)

    created, deleted = WebhookEvent.objects.order_by("id")
    assert created.personal == {}
    assert deleted.type == "contact.deleted"
    assert set(deleted.payload["deleted_contact"]) == {"id", "hint"}
    assert "Erika" not in str(deleted.payload)


def test_contact_changes_emit_updated_and_merged(ada):
    endpoint_for(ada, URL)
    first = ContactFactory(kind="identified")
    second = ContactFactory(kind="identified")
    contact_actions.update_profile(first, values={"company": "Nordlicht"}, actor=ada)
    from contacts.merging import merge_contacts

    merge_contacts(survivor=first, absorbed=second, choices={}, actor=ada)

    updated, merged_event = WebhookEvent.objects.order_by("id")
    assert updated.type == "contact.updated"
    assert updated.payload["changed"] == ["company"]
    assert merged_event.type == "contact.merged"
    assert merged_event.payload["absorbed_contact_id"] == second.pk


def test_inbox_actions_emit_conversation_and_message_events(ada, alice, max_manager):
    endpoint_for(ada, URL)
    inbox = inbox_with("A", "open", members=[alice], managers=[max_manager])
    message = inbound(inbox)
    conversation = message.conversation
    actions.reply(conversation, body="Hallo", actor=alice)
    assignment.assign(conversation, assignee=alice, actor=max_manager)
    actions.set_status(conversation, status="resolved", actor=alice)

    emitted = types()
    assert emitted[:3] == ["contact.created", "conversation.created", "message.created"]
    assert emitted[3:] == [
        "message.created",
        "conversation.assigned",
        "conversation.status_changed",
    ]
    status = WebhookEvent.objects.get(type="conversation.status_changed")
    assert status.payload["conversation"]["status"] == "resolved"
    assert status.payload["previous_status"] == "open"


def test_a_provider_status_emits_message_status_changed(ada, alice):
    from inbox.delivery import record_status
    from inbox.models import Message

    endpoint_for(ada, URL, event_types=["message.status_changed"])
    inbox = inbox_with("A", "open", members=[alice])
    conversation = inbound(inbox).conversation
    reply = actions.reply(conversation, body="Hallo", actor=alice)
    Message.objects.filter(pk=reply.pk).update(status="sent")

    assert record_status(reply, "delivered")
    assert not record_status(reply, "sent")  # backwards: nothing changes, nothing emitted

    [event] = WebhookEvent.objects.all()
    assert event.payload["message"]["status"] == "delivered"


def test_consent_changes_emit_consent_changed(ada):
    endpoint_for(ada, URL, event_types=["consent.changed"], personal=True)
    contact = ContactFactory()
    address = identity(contact, "phone", "+49 151 23456789")
    consent_actions.record_opt_out(address, channel="sms", source="agent", actor=ada)

    [event] = WebhookEvent.objects.all()
    assert event.payload["consent"]["kind"] == "opt_out"
    assert event.payload["consent"]["contact_id"] == contact.pk
    assert event.personal["consent"]["identity_value"] == "+4915123456789"


def test_a_survey_answer_emits_survey_response_created(ada, alice):
    from surveys.actions.responses import record_answer

    endpoint_for(ada, URL, event_types=["survey.response.created"])
    inbox = inbox_with("A", "open", members=[alice])
    survey = Survey.objects.create(inbox=inbox, name="Zufriedenheit")
    contact = ContactFactory()
    invitation = SurveyInvitation.objects.create(survey=survey, contact=contact)

    record_answer(invitation, score=9, comment="Sehr gut")

    [event] = WebhookEvent.objects.all()
    assert event.payload["response"]["score"] == 9
    assert "Sehr gut" not in str(event.payload)


def test_merged_lays_personal_fields_over_public_ones():
    public = {"contact": {"id": 1}, "recipients": [{"id": 1}, {"id": 2}]}
    personal = {"contact": {"first_name": "E"}, "recipients": [{"a": "x"}, {"a": "y"}]}

    assert merged(public, personal) == {
        "contact": {"id": 1, "first_name": "E"},
        "recipients": [{"id": 1, "a": "x"}, {"id": 2, "a": "y"}],
    }


def test_a_broken_sink_never_breaks_the_change(ada, monkeypatch):
    endpoint_for(ada, URL)
    monkeypatch.setitem(
        __import__("webhooks.payloads").payloads.BUILDERS, "contact.created", lambda data: 1 / 0
    )

    contact = contact_actions.create_contact(actor=ada, first_name="Erika")

    assert contact.pk
    assert WebhookEvent.objects.count() == 0
    assert DeliveryStatus.PENDING == "pending"
