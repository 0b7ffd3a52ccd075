"""Replies sent by a real Celery worker through the real twilio client to the fake Twilio API:
what arrives, what is retried, what fails, and what is never sent twice."""

import socket
import time
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from inbox import actions
from inbox.channels.twilio import outbound as twilio
from inbox.models import InboxChannel, Message
from inbox.tasks import deliver_message, sweep_queued_messages
from tests.factories import inbound, inbox_with
from tests.fakes.twilio_api import DROP, Error

PUBLIC = "https://support.nordlicht.example"
SERVICE_NUMBER, CUSTOMER = "+49401234567", "+491701234567"


@pytest.fixture(autouse=True)
def _polls_take_no_table_locks(transactional_db):
    """SQLite's shared-cache test database locks whole tables, without waiting: a poll from
    this thread while the worker writes fails one of them ("database table is locked").
    Reading uncommitted rows takes no locks; PostgreSQL needs nothing of the sort."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = 1")


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def status_of(message):
    return Message.objects.get(pk=message.pk).status


@pytest.fixture
def service(transactional_db, alice, max_manager, settings):
    settings.PUBLIC_BASE_URL = PUBLIC
    inbox = inbox_with("Service", "open", members=[alice], managers=[max_manager])
    for kind in ("sms", "whatsapp"):
        InboxChannel.objects.create(inbox=inbox, kind=kind, address=SERVICE_NUMBER)
    return inbox


def conversation_in(inbox, channel="sms"):
    ours = InboxChannel.objects.get(inbox=inbox, kind=channel)
    return inbound(inbox, address=CUSTOMER, channel=channel, inbox_channel=ours).conversation


@pytest.mark.worker
@pytest.mark.parametrize(("channel", "prefix"), [("sms", ""), ("whatsapp", "whatsapp:")])
def test_a_reply_reaches_twilio_with_the_right_numbers_and_is_marked_sent(
    celery_worker, fake_twilio, service, alice, channel, prefix
):
    message = actions.reply(conversation_in(service, channel), body="Ist unterwegs.", actor=alice)

    assert wait_for(lambda: status_of(message) == "sent"), status_of(message)
    [form] = fake_twilio.accepted
    assert form["To"] == f"{prefix}{CUSTOMER}"
    assert form["From"] == f"{prefix}{SERVICE_NUMBER}"
    assert form["Body"] == "Ist unterwegs."
    message.refresh_from_db()
    assert form["StatusCallback"] == twilio.status_callback_url(message)
    assert f"{PUBLIC}/webhooks/twilio/status/?message={message.pk}&send=" in form["StatusCallback"]
    message.refresh_from_db()
    assert (message.provider, message.provider_message_id) == ("twilio", form["Sid"])
    assert message.attempts == 1


@pytest.mark.worker
def test_a_429_is_retried_after_a_backoff_and_sent_once(celery_worker, fake_twilio, service, alice):
    fake_twilio.then(Error(429, 20429, "Too Many Requests"))

    with mock.patch("inbox.delivery.backoff", return_value=1):
        message = actions.reply(conversation_in(service), body="Gleich.", actor=alice)
        assert wait_for(lambda: status_of(message) == "sent"), status_of(message)

    assert len(fake_twilio.requests) == 2
    assert fake_twilio.bodies() == ["Gleich."]
    first, second = fake_twilio.request_times
    assert second - first >= 0.9
    message.refresh_from_db()
    assert message.attempts == 2 and message.provider_message_id == fake_twilio.accepted[0]["Sid"]
    assert message.error == "" and message.error_code == ""


@pytest.mark.worker
def test_a_refused_number_fails_with_twilios_code_and_reason(
    celery_worker, fake_twilio, service, alice
):
    fake_twilio.then(
        Error(400, 21211, "The 'To' number +491701234567 is not a valid phone number.")
    )

    message = actions.reply(conversation_in(service), body="Hallo", actor=alice)

    assert wait_for(lambda: status_of(message) == "failed"), status_of(message)
    message.refresh_from_db()
    assert message.error_code == "21211"
    assert "is not a valid phone number" in message.error
    assert len(fake_twilio.requests) == 1 and fake_twilio.accepted == []
    assert message.conversation.events.filter(kind="delivery_failed").count() == 1


def test_twilio_unreachable_is_transient_and_retried_later(fake_twilio, service, alice, settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{closed_port}"
    twilio.client.cache_clear()
    with mock.patch("inbox.tasks.deliver_message.delay_on_commit"):  # the task runs below
        message = actions.reply(conversation_in(service), body="Hallo", actor=alice)

    with mock.patch.object(deliver_message, "apply_async") as retry:
        deliver_message(message.pk)

    message.refresh_from_db()
    assert message.status == "queued" and message.attempts == 1
    assert message.due_at > timezone.now()
    assert "unreachable" in message.error
    retry.assert_called_once_with((message.pk,), countdown=5)


@pytest.mark.worker
def test_a_connection_dropped_after_sending_is_unknown_and_never_resent(
    celery_worker, fake_twilio, service, alice
):
    fake_twilio.then(DROP)

    message = actions.reply(conversation_in(service), body="Hallo", actor=alice)

    assert wait_for(lambda: status_of(message) == "unknown"), status_of(message)
    sweep_queued_messages()
    time.sleep(0.5)
    assert len(fake_twilio.requests) == 1
    message.refresh_from_db()
    assert message.status == "unknown" and message.provider_message_id is None
    assert "Connection to Twilio lost" in message.error


@pytest.mark.worker
def test_twilio_not_answering_in_time_is_unknown_and_never_resent(
    celery_worker, fake_twilio, service, alice
):
    release = fake_twilio.then_hang()
    with mock.patch.object(twilio, "TIMEOUT_SECONDS", 1):
        twilio.client.cache_clear()
        message = actions.reply(conversation_in(service), body="Hallo", actor=alice)
        assert wait_for(lambda: status_of(message) == "unknown"), status_of(message)
    release.set()

    sweep_queued_messages()
    time.sleep(0.5)
    assert len(fake_twilio.requests) == 1
    assert "did not answer in time" in Message.objects.get(pk=message.pk).error
