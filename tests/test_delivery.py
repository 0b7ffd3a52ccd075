"""Outbound delivery through the one path: claim, send once, retry what is transient, never
resend blindly, statuses only forward — through the locmem SMS channel."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from contacts.actions import block_contact
from inbox import actions, delivery
from inbox.channels import PermanentFailure, SendResult, TransientFailure, UnknownOutcome, locmem
from inbox.models import (
    Attachment,
    ConversationEvent,
    DeliveryStatus,
    InboxChannel,
    Message,
)
from inbox.tasks import deliver_message, sweep_queued_messages
from tests.factories import inbound, inbox_with


@pytest.fixture(autouse=True)
def _commit_callbacks_run_at_once(monkeypatch):
    """These tests run inside one test transaction; tasks published "on commit" run at
    once instead (eagerly), as they would right after the action's commit."""
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
def service(alice, max_manager):
    inbox = inbox_with("Service", "open", members=[alice], managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")
    return inbox


@pytest.fixture
def conversation(service):
    return inbound(service, inbox_channel=service.channels.get()).conversation


def _reply(conversation, alice, body="Danke!"):
    message = actions.reply(conversation, body=body, actor=alice)
    message.refresh_from_db()
    return message


def test_a_reply_is_sent_once_from_the_number_the_customer_wrote_to(conversation, alice):
    message = _reply(conversation, alice)

    assert message.status == DeliveryStatus.SENT
    assert message.provider == "twilio" and message.provider_message_id.startswith("SM")
    assert message.attempts == 1
    [sent] = locmem.outbox
    assert (sent.to, sent.from_, sent.body) == ("+491701234567", "+4930123456", "Danke!")


def test_a_task_that_runs_twice_sends_once(conversation, alice):
    message = _reply(conversation, alice)

    deliver_message(message.pk)
    deliver_message(message.pk)

    assert len(locmem.outbox) == 1


def test_a_transient_failure_is_retried_with_backoff_and_sent_once(conversation, alice):
    locmem.failures.extend([TransientFailure("Twilio 429: Too Many Requests", "20429")] * 2)
    with mock.patch(
        "inbox.tasks.deliver_message.apply_async", wraps=deliver_message.apply_async
    ) as later:
        message = _reply(conversation, alice)

    assert message.status == DeliveryStatus.SENT and message.attempts == 3
    assert len(locmem.outbox) == 1
    retries = [c.kwargs["countdown"] for c in later.call_args_list if "countdown" in c.kwargs]
    assert retries == [5, 10]


def test_a_transient_failure_leaves_the_message_queued_for_later(conversation, alice):
    locmem.failures.append(TransientFailure("Twilio 503", "503"))
    with mock.patch("inbox.tasks.deliver_message.delay_on_commit"):
        message = actions.reply(conversation, body="Hallo", actor=alice)

    assert delivery.send_queued(message.pk).retry_in == 5

    message.refresh_from_db()
    assert message.status == DeliveryStatus.QUEUED
    assert message.due_at > timezone.now() + timedelta(seconds=3)
    assert message.error == "Twilio 503"
    # Not due yet: the sweeper leaves it to its scheduled retry.
    assert sweep_queued_messages() == 0


def test_backoff_grows_exponentially_up_to_ten_minutes():
    assert [delivery.backoff(n) for n in (1, 2, 3, 4, 8, 20)] == [5, 10, 20, 40, 600, 600]


def test_delivery_gives_up_after_the_last_attempt(conversation, alice):
    locmem.failures.extend([TransientFailure("Twilio 500", "500")] * delivery.MAX_ATTEMPTS)
    message = _reply(conversation, alice)

    assert message.status == DeliveryStatus.FAILED
    assert message.error_code == delivery.GAVE_UP
    assert "8" in delivery.explain(message) and not locmem.outbox


def test_a_permanent_failure_marks_the_message_failed_with_the_providers_code(conversation, alice):
    locmem.failures.append(PermanentFailure("Twilio 400: Invalid 'To' number", "21211"))
    message = _reply(conversation, alice)

    assert message.status == DeliveryStatus.FAILED
    assert (message.error_code, message.error) == ("21211", "Twilio 400: Invalid 'To' number")
    assert ConversationEvent.objects.filter(
        conversation=conversation, kind=ConversationEvent.Kind.DELIVERY_FAILED
    ).exists()


def test_an_unknown_outcome_is_not_resent(conversation, alice):
    locmem.failures.append(UnknownOutcome("Connection to Twilio lost while sending"))
    message = _reply(conversation, alice)

    assert message.status == DeliveryStatus.UNKNOWN
    deliver_message(message.pk)
    Message.objects.filter(pk=message.pk).update(due_at=timezone.now() - timedelta(hours=1))
    assert sweep_queued_messages() == 0
    assert not locmem.outbox


def test_a_contact_blocked_after_queueing_gets_nothing(conversation, alice, ada):
    with mock.patch("inbox.tasks.deliver_message.delay_on_commit"):
        message = actions.reply(conversation, body="Hallo", actor=alice)
    block_contact(conversation.contact, actor=ada, reason="Abuse")

    deliver_message(message.pk)

    message.refresh_from_db()
    assert message.status == DeliveryStatus.FAILED and message.error_code == delivery.BLOCKED
    assert "blocked" in delivery.explain(message)
    assert not locmem.outbox


def test_no_number_for_the_channel_fails_with_a_clear_reason(settings, alice, max_manager):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC123", "token"
    inbox = inbox_with("Empty", "open", members=[alice])
    conversation = inbound(inbox).conversation

    message = _reply(conversation, alice)

    assert message.status == DeliveryStatus.FAILED and message.error_code == delivery.NO_SENDER
    assert "no number" in delivery.explain(message)


def test_the_sweeper_settles_a_send_a_dead_worker_left_behind(conversation, alice):
    with mock.patch("inbox.tasks.deliver_message.delay_on_commit"):
        message = actions.reply(conversation, body="Hallo", actor=alice)
    # The worker claimed it and died before recording anything.
    Message.objects.filter(pk=message.pk).update(
        status=DeliveryStatus.SENDING, attempted_at=timezone.now() - timedelta(minutes=11)
    )

    sweep_queued_messages()

    message.refresh_from_db()
    assert message.status == DeliveryStatus.UNKNOWN
    assert message.error_code == delivery.WORKER_LOST
    assert not locmem.outbox


def test_a_recent_send_in_progress_is_left_alone(conversation, alice):
    with mock.patch("inbox.tasks.deliver_message.delay_on_commit"):
        message = actions.reply(conversation, body="Hallo", actor=alice)
    Message.objects.filter(pk=message.pk).update(
        status=DeliveryStatus.SENDING, attempted_at=timezone.now()
    )

    sweep_queued_messages()

    assert Message.objects.get(pk=message.pk).status == DeliveryStatus.SENDING


# --- Forward-only status ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "final"),
    [
        (["sent", "delivered"], "delivered"),
        (["delivered", "sent"], "delivered"),
        (["sent", "read", "delivered"], "read"),
        (["sent", "failed"], "failed"),
        (["delivered", "failed"], "delivered"),
        (["failed", "sent"], "failed"),
        (["queued", "sending"], "sent"),
    ],
)
def test_status_only_moves_forward(conversation, alice, steps, final):
    message = _reply(conversation, alice)
    for status in steps:
        delivery.record_status(message, status)

    message.refresh_from_db()
    assert message.status == final


def test_a_status_for_an_unknown_send_settles_it_and_records_the_provider_id(conversation, alice):
    locmem.failures.append(UnknownOutcome("dropped"))
    message = _reply(conversation, alice)

    assert delivery.record_status(message, "delivered", learned=SendResult("twilio", "SMabc"))

    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == ("delivered", "SMabc")
    assert message.error == ""


def test_a_status_change_wakes_the_live_thread(conversation, alice):
    message = _reply(conversation, alice)
    before = type(conversation).objects.get(pk=conversation.pk).updated_at

    delivery.record_status(message, "delivered")

    assert type(conversation).objects.get(pk=conversation.pk).updated_at > before


# --- Retry from the thread ------------------------------------------------------------------


def test_an_agent_retries_a_failed_message_and_it_is_sent(client_for, conversation, alice):
    locmem.failures.append(PermanentFailure("Twilio 503 for too long", "30001"))
    message = _reply(conversation, alice)
    client = client_for(alice)

    page = client.get(f"/inbox/c/{conversation.pk}/")
    assert "Not delivered." in page.content.decode() and "Retry" in page.content.decode()

    response = client.post(f"/inbox/m/{message.pk}/retry/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT and len(locmem.outbox) == 1


def test_an_unknown_message_asks_before_sending_again(client_for, conversation, alice):
    locmem.failures.append(UnknownOutcome("dropped"))
    _reply(conversation, alice)

    html = client_for(alice).get(f"/inbox/c/{conversation.pk}/").content.decode()

    assert "Delivery unknown:" in html and "Send again" in html and "data-confirm" in html


def test_a_sent_message_cannot_be_retried(client_for, conversation, alice):
    message = _reply(conversation, alice)

    response = client_for(alice).post(
        f"/inbox/m/{message.pk}/retry/", headers={"HX-Request": "true"}
    )

    assert response.status_code == 422 and len(locmem.outbox) == 1


def test_the_agent_of_another_inbox_cannot_retry(client_for, conversation, alice, bob):
    locmem.failures.append(PermanentFailure("no", "21211"))
    message = _reply(conversation, alice)
    inbox_with("Other", "open", members=[bob])

    response = client_for(bob).post(f"/inbox/m/{message.pk}/retry/")

    assert response.status_code == 404
    assert Message.objects.get(pk=message.pk).status == DeliveryStatus.FAILED


def test_in_assignment_mode_only_the_assignee_retries(client_for, alice, bob, max_manager):
    inbox = inbox_with("Sales", "assignment", members=[alice, bob], managers=[max_manager])
    conversation = inbound(inbox).conversation
    conversation.assignee = alice
    conversation.save()
    locmem.failures.append(PermanentFailure("no", "21211"))
    message = _reply(conversation, alice)

    response = client_for(bob).post(f"/inbox/m/{message.pk}/retry/")

    assert response.status_code in (302, 403)
    assert Message.objects.get(pk=message.pk).status == DeliveryStatus.FAILED


# --- Attachments -------------------------------------------------------------------------------


def test_attachments_download_only_for_users_of_the_inbox(client_for, conversation, alice, bob):
    message = conversation.messages.get()
    attachment = Attachment(
        message=message, filename="rechnung.pdf", content_type="application/pdf"
    )
    attachment.file.save("rechnung.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    inbox_with("Other", "open", members=[bob])

    response = client_for(alice).get(f"/inbox/a/{attachment.pk}/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    assert client_for(bob).get(f"/inbox/a/{attachment.pk}/").status_code == 404


def test_an_unexpected_error_mid_send_is_unknown_not_resent(conversation, alice):
    with mock.patch.object(locmem, "send", side_effect=RuntimeError("boom")):
        message = _reply(conversation, alice)

    assert message.status == DeliveryStatus.UNKNOWN
    assert "RuntimeError: boom" in delivery.explain(message)
