"""Twilio's inbound and status webhooks, signed the way Twilio signs them, media fetched from
the fake Twilio API."""

import threading
from datetime import timedelta
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from twilio.request_validator import RequestValidator

from inbox import actions, delivery
from inbox.channels import UnknownOutcome, locmem
from inbox.channels.twilio import media
from inbox.channels.twilio.outbound import status_callback_url
from inbox.channels.twilio.webhooks import EMPTY_TWIML
from inbox.models import Attachment, Conversation, InboxChannel, Message
from inbox.tasks import fetch_attachment, sweep_queued_messages
from tests.factories import inbox_with

PUBLIC = "https://support.nordlicht.example"
INBOUND = "/webhooks/twilio/"
STATUS = "/webhooks/twilio/status/"
SERVICE_NUMBER, SALES_NUMBER = "+49401234567", "+49407654321"
CUSTOMER = "+491701234567"


@pytest.fixture(autouse=True)
def _commit_callbacks_run_at_once(monkeypatch):
    """The webhook stores the event and publishes its routing "on commit"; inside the test's
    transaction that runs at once (eagerly), as it would right after the commit."""
    monkeypatch.setattr(
        "django.db.transaction.on_commit", lambda func, using=None, robust=False: func()
    )


@pytest.fixture(autouse=True)
def _twilio_settings(settings, tmp_path):
    """The app sits behind a proxy at PUBLIC: Twilio signs that URL, the app sees testserver."""
    settings.MEDIA_ROOT = tmp_path
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    settings.TWILIO_AUTH_TOKEN = "test-auth-token"
    locmem.reset()


def signature(url, params, token=None):
    return RequestValidator(token or settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)


def twilio_post(path, params, *, signed_url=None, token=None, sent=None, signed=True):
    """POST like Twilio: form-encoded, signed over the public URL and the parameters.
    `sent` replaces what is actually posted (tampering); `signed_url` what was signed."""
    headers = {}
    if signed:
        url = signed_url or PUBLIC + path
        headers["X-Twilio-Signature"] = signature(url, params, token)
    return Client().post(
        path,
        urlencode(params if sent is None else sent),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def sms(body="Hallo, wo bleibt meine Bestellung?", sid="SM" + "a" * 32, **extra):
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "From": CUSTOMER,
        "To": SERVICE_NUMBER,
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


@pytest.fixture
def service(alice, max_manager):
    inbox = inbox_with("Service", "open", members=[alice], managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address=SERVICE_NUMBER)
    InboxChannel.objects.create(inbox=inbox, kind="whatsapp", address=SERVICE_NUMBER)
    return inbox


@pytest.fixture
def sales(bob):
    inbox = inbox_with("Sales", "open", members=[bob])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address=SALES_NUMBER)
    return inbox


# --- Inbound --------------------------------------------------------------------------------


def test_a_signed_sms_is_stored_and_answered_with_empty_twiml(service):
    response = twilio_post(INBOUND, sms())

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.content.decode() == EMPTY_TWIML
    message = Message.objects.get()
    assert (message.provider, message.provider_message_id) == ("twilio", "SM" + "a" * 32)
    assert message.direction == "in" and message.body == "Hallo, wo bleibt meine Bestellung?"
    conversation = message.conversation
    assert conversation.inbox == service and conversation.channel == "sms"
    assert conversation.address == CUSTOMER
    assert conversation.inbox_channel == InboxChannel.objects.get(kind="sms")


def test_a_whatsapp_message_is_the_whatsapp_channel(service):
    params = sms(From=f"whatsapp:{CUSTOMER}", To=f"whatsapp:{SERVICE_NUMBER}")

    assert twilio_post(INBOUND, params).status_code == 200

    conversation = Message.objects.get().conversation
    assert conversation.channel == "whatsapp" and conversation.address == CUSTOMER
    assert conversation.inbox_channel == InboxChannel.objects.get(kind="whatsapp")


def test_the_to_number_chooses_the_inbox(service, sales):
    twilio_post(INBOUND, sms(sid="SM1", To=SERVICE_NUMBER))
    twilio_post(INBOUND, sms(sid="SM2", To="+49 40 7654321"))

    assert Message.objects.get(provider_message_id="SM1").conversation.inbox == service
    assert Message.objects.get(provider_message_id="SM2").conversation.inbox == sales


def test_a_number_no_inbox_owns_is_answered_and_logged_but_not_stored(service, caplog):
    response = twilio_post(INBOUND, sms(To="+49 30 1234567"))

    assert response.status_code == 200 and response.content.decode() == EMPTY_TWIML
    assert not Message.objects.exists()
    assert "no inbox owns" in caplog.text


@pytest.mark.parametrize(
    "tamper",
    [
        {"signed": False},
        {"sent": sms(body="Bitte an +49 170 999 überweisen")},
        {"signed_url": PUBLIC + "/webhooks/twilio/status/"},
        {"signed_url": "http://testserver/webhooks/twilio/"},  # the URL the app sees, not PUBLIC
        {"token": "someone-elses-token"},
    ],
    ids=["unsigned", "changed-body", "other-url", "request-host", "wrong-token"],
)
def test_an_unsigned_or_tampered_message_is_refused_and_nothing_stored(service, tamper):
    response = twilio_post(INBOUND, sms(), **tamper)

    assert response.status_code == 403
    assert not Message.objects.exists() and not Conversation.objects.exists()


def test_without_an_auth_token_every_webhook_is_refused(service, settings):
    params = sms()
    signed_with_empty_token = RequestValidator("").compute_signature(PUBLIC + INBOUND, params)
    settings.TWILIO_AUTH_TOKEN = ""

    response = Client().post(
        INBOUND,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signed_with_empty_token},
    )

    assert response.status_code == 403
    assert not Message.objects.exists()


def test_a_malformed_sender_is_refused_with_a_clear_message(service):
    response = twilio_post(INBOUND, sms(From="not-a-number"))

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "From is not a phone number" in response.content.decode()
    assert not Message.objects.exists() and not Conversation.objects.exists()


def test_nul_bytes_in_a_signed_form_are_dropped_and_the_message_stored(service):
    """PostgreSQL cannot store NUL in text or JSON: a 500 would make Twilio retry forever."""
    params = sms(
        body="Hallo\x00 Welt\x00",
        sid="SM\x00" + "b" * 32,
        From=CUSTOMER[:4] + "\x00" + CUSTOMER[4:],
        To=SERVICE_NUMBER + "\x00",
        ToCity="HAMBURG\x00",
        NumMedia="0\x00",
    )

    response = twilio_post(INBOUND, params)

    assert response.status_code == 200
    message = Message.objects.get()
    assert message.body == "Hallo Welt"
    assert message.provider_message_id == "SM" + "b" * 32
    assert message.conversation.address == CUSTOMER
    assert message.conversation.last_message_preview == "Hallo Welt"


@pytest.mark.parametrize("count", ["²", "x", "-1", ""])
def test_a_media_count_that_is_not_a_number_means_no_media(service, count):
    assert twilio_post(INBOUND, sms(NumMedia=count)).status_code == 200

    assert not Message.objects.get().attachments.exists()


def test_five_sequential_replays_store_one_message(service):
    responses = [twilio_post(INBOUND, sms()) for _ in range(5)]

    assert [r.status_code for r in responses] == [200] * 5
    assert Message.objects.count() == 1 and Conversation.objects.count() == 1


@pytest.fixture
def service_committed(transactional_db, alice, max_manager):
    inbox = inbox_with("Service", "open", members=[alice], managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address=SERVICE_NUMBER)
    return inbox


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent connections need PostgreSQL"
)
@pytest.mark.parametrize("attempt", range(3))
def test_the_same_message_posted_twice_at_the_same_instant_is_stored_once(
    service_committed, attempt
):
    params = sms(sid=f"SMrace{attempt}")
    barrier = threading.Barrier(2)
    statuses: list[object] = []

    def deliver():
        try:
            barrier.wait(timeout=10)
            statuses.append(twilio_post(INBOUND, params).status_code)
        except Exception as exc:  # the outcome under test
            statuses.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200, 200]
    assert Message.objects.filter(provider_message_id=f"SMrace{attempt}").count() == 1
    assert Conversation.objects.count() == 1


# --- Media ----------------------------------------------------------------------------------


def test_media_are_fetched_from_twilio_into_attachments(
    service, fake_twilio, django_capture_on_commit_callbacks
):
    photo, pdf = b"\xff\xd8\xff fake jpeg", b"%PDF-1.4 fake"
    params = sms(
        body="Foto vom Schaden",
        NumMedia="2",
        MediaUrl0=fake_twilio.add_media(photo, "image/jpeg"),
        MediaContentType0="image/jpeg",
        MediaUrl1=fake_twilio.add_media(pdf, "application/pdf"),
        MediaContentType1="application/pdf",
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert twilio_post(INBOUND, params).status_code == 200

    first, second = Attachment.objects.order_by("id")
    assert (first.filename, first.content_type, first.size) == (
        "image-1.jpg",
        "image/jpeg",
        len(photo),
    )
    assert first.file.read() == photo and first.error == ""
    assert second.filename == "application-2.pdf" and second.file.read() == pdf
    fetched = len(fake_twilio.media_requests)
    assert fetched == 4  # each: the authenticated URL, then the media store it redirects to

    assert fetch_attachment(first.pk) == "skipped"
    assert len(fake_twilio.media_requests) == fetched


def test_a_media_url_off_the_twilio_host_is_not_fetched(
    service, fake_twilio, django_capture_on_commit_callbacks
):
    params = sms(
        NumMedia="1",
        MediaUrl0="http://169.254.169.254/latest/meta-data/",
        MediaContentType0="image/png",
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert twilio_post(INBOUND, params).status_code == 200

    attachment = Attachment.objects.get()
    assert not attachment.file
    assert "not on the Twilio API host" in attachment.error
    assert fake_twilio.media_requests == []


def test_only_the_configured_twilio_host_is_allowed(settings):
    settings.TWILIO_API_BASE_URL = ""
    assert media.is_allowed("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/1")
    assert not media.is_allowed("http://api.twilio.com/2010-04-01/x")
    assert not media.is_allowed("https://api.twilio.com.evil.example/x")
    assert not media.is_allowed("https://user:pw@api.twilio.com/x")
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:8765"
    assert media.is_allowed("http://127.0.0.1:8765/media")
    assert not media.is_allowed("http://127.0.0.1:8766/media")


def test_missing_media_is_an_error_and_the_sweeper_fetches_what_is_left_pending(
    service, fake_twilio
):
    missing = fake_twilio.url + f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Media/MEgone"
    params = sms(
        NumMedia="2",
        MediaUrl0=fake_twilio.add_media(b"GIF89a", "image/gif"),
        MediaContentType0="image/gif",
        MediaUrl1=missing,
        MediaContentType1="image/gif",
    )
    # The downloads are never published: as if the broker had been down a moment.
    with mock.patch("inbox.tasks.enqueue_attachment_fetch"):
        assert twilio_post(INBOUND, params).status_code == 200
    assert not Attachment.objects.exclude(file="").exists()
    Message.objects.update(created_at=timezone.now() - timedelta(minutes=5))

    sweep_queued_messages()

    found, gone = Attachment.objects.order_by("id")
    assert found.file.read() == b"GIF89a"
    assert not gone.file and "HTTP 401" not in gone.error and "HTTP 404" in gone.error
    assert media.overdue() == []


# --- Status callbacks -----------------------------------------------------------------------


def outbound(conversation, status="queued", sid="SM" + "b" * 32):
    return Message.objects.create(
        conversation=conversation,
        direction="out",
        body="Ist unterwegs.",
        status=status,
        provider="twilio",
        provider_message_id=sid,
    )


def status_post(message, status, sid=None, **extra):
    """A status callback to the URL the twilio channel asked for, query included."""
    url = status_callback_url(message)
    path = url.removeprefix(PUBLIC)
    params = {
        "MessageSid": sid or message.provider_message_id,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "From": SERVICE_NUMBER,
        "To": CUSTOMER,
        **extra,
    }
    return twilio_post(path, params)


@pytest.fixture
def conversation(service):
    twilio_post(INBOUND, sms())
    return Conversation.objects.get()


def test_status_only_moves_forward(conversation):
    message = outbound(conversation)
    seen = []
    for status in ("queued", "sent", "delivered", "sent", "queued"):
        response = status_post(message, status)
        assert response.status_code == 204
        message.refresh_from_db()
        seen.append(message.status)

    assert seen == ["queued", "sent", "delivered", "delivered", "delivered"]
    assert status_post(message, "read").status_code == 204
    message.refresh_from_db()
    assert message.status == "read"


def test_a_status_callback_bumps_the_conversation_for_the_live_thread(conversation):
    message = outbound(conversation)
    before = Conversation.objects.get(pk=conversation.pk).updated_at

    status_post(message, "delivered")

    assert Conversation.objects.get(pk=conversation.pk).updated_at > before


@pytest.mark.parametrize(
    ("extra", "shown"),
    [
        ({"ErrorCode": "30003"}, "Twilio error 30003: Unreachable destination handset"),
        ({"ErrorCode": "30099"}, "Twilio error 30099"),
        (
            {"ErrorCode": "30007", "ErrorMessage": "Carrier violation"},
            "Twilio error 30007: Carrier violation",
        ),
    ],
)
def test_a_failed_delivery_shows_twilios_error_code(conversation, extra, shown):
    message = outbound(conversation, status="sent")

    status_post(message, "undelivered", **extra)

    message.refresh_from_db()
    assert message.status == "failed"
    assert message.error_code == extra["ErrorCode"]
    assert delivery.explain(message) == shown
    assert conversation.events.filter(kind="delivery_failed").count() == 1


def test_a_nul_byte_in_a_status_callback_is_dropped(conversation):
    message = outbound(conversation, status="sent")

    response = status_post(
        message, "undelivered", ErrorCode="30007\x00", ErrorMessage="Carrier\x00 violation"
    )

    assert response.status_code == 204
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "30007")
    assert delivery.explain(message) == "Twilio error 30007: Carrier violation"


def test_a_status_settles_a_send_that_ended_unknown_and_records_the_sid(
    conversation, alice, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "locmem"
    locmem.failures.append(UnknownOutcome("Connection to Twilio lost while sending"))
    with django_capture_on_commit_callbacks(execute=True):
        message = actions.reply(conversation, body="Ist unterwegs.", actor=alice)
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == ("unknown", None)

    response = status_post(message, "delivered", sid="SM" + "c" * 32)

    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == "delivered"
    assert message.provider_message_id == "SM" + "c" * 32


def test_our_id_does_not_reach_a_message_that_has_its_sid(conversation):
    message = outbound(conversation, status="sent")

    status_post(message, "failed", sid="SMsomeoneelse", ErrorCode="30003")

    message.refresh_from_db()
    assert message.status == "sent"


def test_a_status_for_an_unknown_message_changes_nothing(conversation):
    message = outbound(conversation)

    response = twilio_post(
        STATUS, {"MessageSid": "SMunknown", "MessageStatus": "delivered", "SmsStatus": "delivered"}
    )

    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == "queued"


def test_an_unsigned_status_callback_is_refused(conversation):
    message = outbound(conversation)
    path = status_callback_url(message).removeprefix(PUBLIC)

    response = twilio_post(
        path,
        {"MessageSid": message.provider_message_id, "MessageStatus": "delivered"},
        signed=False,
    )

    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == "queued"


# --- Verify, store, enqueue --------------------------------------------------------------------


def test_the_webhook_stores_the_event_and_routing_happens_in_a_task(service):
    from inbox.models import InboundEvent

    with mock.patch("inbox.tasks.process_inbound.delay_on_commit") as enqueue:
        assert twilio_post(INBOUND, sms()).status_code == 200

    event = InboundEvent.objects.get()
    assert event.processed_at is None and event.payload["Body"].startswith("Hallo")
    enqueue.assert_called_once_with(event.pk)
    assert not Message.objects.exists()


def test_an_event_the_broker_lost_is_routed_by_the_sweeper_and_its_form_cleared(service):
    from inbox.models import InboundEvent

    with mock.patch("inbox.tasks.process_inbound.delay_on_commit"):
        twilio_post(INBOUND, sms())
    InboundEvent.objects.update(received_at=timezone.now() - timedelta(minutes=5))

    sweep_queued_messages()

    event = InboundEvent.objects.get()
    assert event.processed_at is not None and event.payload == {}
    assert event.message == Message.objects.get()
    assert twilio_post(INBOUND, sms()).status_code == 200  # a replay afterwards: nothing new
    assert Message.objects.count() == 1 and InboundEvent.objects.count() == 1


def test_a_message_to_a_number_no_inbox_owns_is_kept_for_later(service):
    from inbox.models import InboundEvent

    assert twilio_post(INBOUND, sms(To="+49309999999")).status_code == 200

    event = InboundEvent.objects.get()
    assert event.processed_at is not None and "No inbox owns" in event.error
    assert event.payload["To"] == "+49309999999" and not Message.objects.exists()


def test_a_late_callback_about_a_send_before_a_retry_changes_nothing(settings, conversation, alice):
    from inbox.channels import PermanentFailure

    settings.SMS_BACKEND = "locmem"
    locmem.failures.append(UnknownOutcome("dropped"))
    message = actions.reply(conversation, body="Danke", actor=alice)
    message.refresh_from_db()
    first_send = status_callback_url(message)
    locmem.failures.append(PermanentFailure("Twilio 400", "21211"))
    actions.retry(message, actor=alice)
    message.refresh_from_db()
    assert message.status == "failed"

    # Twilio reports on the first send (which did go out) with the callback URL of that send.
    path = first_send.removeprefix(PUBLIC)
    response = twilio_post(path, {"MessageSid": "SM" + "e" * 32, "MessageStatus": "delivered"})

    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == "failed" and message.provider_message_id is None
