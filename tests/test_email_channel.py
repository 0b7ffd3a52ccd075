"""The e-mail channel: inbound through django-anymail's real webhook URLs (Postmark JSON,
Mailgun raw MIME) with anymail's webhook authentication, stored as inbound events and routed by
the task, threading, and outbound replies through a real SMTP server (aiosmtpd) — by a real
Celery worker in the round trip."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from contextlib import nullcontext
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest
import requests
from anymail.exceptions import AnymailRecipientsRefused, AnymailRequestsAPIError
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import OperationalError
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from inbox import actions, delivery, inbound
from inbox.channels.email import outbound as email_channel
from inbox.models import (
    Attachment,
    Conversation,
    DeliveryStatus,
    InboundEvent,
    InboxChannel,
    Message,
)
from inbox.tasks import sweep_queued_messages
from tests.factories import inbox_with

# The `smtp_server` fixture: a real SMTP server on 127.0.0.1, Django's SMTP backend pointed at it.

SUPPORT = "support@nordlicht.example"
CUSTOMER = "jana.berg@example.org"
BASIC_AUTH = "anymail:webhook-s3cret"
MAILGUN_KEY = "key-mailgun-signing-test"
POSTMARK_URL = "/anymail/postmark/inbound/"
MAILGUN_URL = "/anymail/mailgun/inbound_mime/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _webhook_secrets(settings):
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "WEBHOOK_SECRET": BASIC_AUTH,
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
    }


@pytest.fixture
def support(alice):
    inbox = inbox_with("Kundenservice", members=[alice])
    InboxChannel.objects.create(inbox=inbox, kind="email", address=SUPPORT)
    return inbox


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OperationalError:
            # SQLite's shared in-memory database refuses a read of a table the worker's
            # thread is writing in its transaction ("table is locked"): not yet, ask again.
            pass
        time.sleep(0.05)
    return False


# --- Payloads as the providers post them -------------------------------------------------------


def postmark_payload(
    *,
    message_id=None,
    sender=CUSTOMER,
    to=SUPPORT,
    subject="Bestellung 4711 ist nicht angekommen",
    text="Hallo, meine Bestellung 4711 ist noch nicht da.",
    html="",
    in_reply_to="",
    references="",
    attachments=(),
):
    """Postmark's inbound webhook JSON (https://postmarkapp.com/developer/webhooks/inbound-webhook)."""
    headers = [
        {"Name": "Return-Path", "Value": f"<{sender}>"},
        {"Name": "Received", "Value": "by mx.postmarkapp.com; " + formatdate()},
        {"Name": "X-Spam-Status", "Value": "No"},
        {"Name": "X-Spam-Score", "Value": "-0.1"},
        {"Name": "MIME-Version", "Value": "1.0"},
    ]
    if message_id is not False:
        headers.append(
            {"Name": "Message-ID", "Value": message_id or make_msgid("jb", "example.org")}
        )
    if in_reply_to:
        headers.append({"Name": "In-Reply-To", "Value": in_reply_to})
    if references:
        headers.append({"Name": "References", "Value": references})
    local, _at, _domain = to.partition("@")
    return {
        "FromName": "Jana Berg",
        "MessageStream": "inbound",
        "From": sender,
        "FromFull": {"Email": sender, "Name": "Jana Berg", "MailboxHash": ""},
        "To": to,
        "ToFull": [{"Email": to, "Name": "", "MailboxHash": local.partition("+")[2]}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": to,
        "Subject": subject,
        "MessageID": str(uuid.uuid4()),
        "ReplyTo": "",
        "MailboxHash": local.partition("+")[2],
        "Date": formatdate(),
        "TextBody": text,
        "HtmlBody": html,
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": headers,
        "Attachments": [
            {
                "Name": name,
                "Content": base64.b64encode(content).decode(),
                "ContentType": content_type,
                "ContentLength": len(content),
                **({"ContentID": content_id} if content_id else {}),
            }
            for name, content_type, content, content_id in attachments
        ],
    }


def basic(credentials):
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def routing(routed):
    """The webhook stores the e-mail and publishes its routing on commit: inside the test's
    transaction `routed` runs that at the end of the request, as right after the commit; the
    tests of the stored event itself post with routed=False and capture the callbacks."""
    return TestCase.captureOnCommitCallbacks(execute=True) if routed else nullcontext()


def post_postmark(client, payload, auth=BASIC_AUTH, *, routed=True):
    extra = (
        {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
    )
    with routing(routed):
        return client.post(
            POSTMARK_URL, json.dumps(payload), content_type="application/json", **extra
        )


def mime(*, message_id, sender=CUSTOMER, to=SUPPORT, subject="Rückfrage", text="", html=""):
    message = EmailMessage()
    message["From"] = f"Jana Berg <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate()
    message["Message-ID"] = message_id
    message.set_content(text or "Siehe HTML.")
    if html:
        message.add_alternative(html, subtype="html")
    return message


def post_mailgun(
    client, message, *, key=MAILGUN_KEY, signature=None, recipient=SUPPORT, routed=True
):
    """Mailgun's route forward() to the raw-MIME URL: multipart form with `body-mime`."""
    timestamp, token = str(int(time.time())), uuid.uuid4().hex
    expected = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    data = {
        "recipient": recipient,
        "sender": CUSTOMER,
        "from": message["From"],
        "subject": message["Subject"],
        "body-mime": message.as_string(),
        "timestamp": timestamp,
        "token": token,
        "signature": expected if signature is None else signature,
    }
    with routing(routed):
        return client.post(MAILGUN_URL, data, HTTP_AUTHORIZATION=basic(BASIC_AUTH))


def inbound_emails():
    return Message.objects.filter(provider="email", direction="in")


def sent_reply(conversation, alice):
    """An agent's reply, sent through the configured e-mail backend."""
    message = actions.reply(conversation, body="Wir kümmern uns darum.", actor=alice)
    assert delivery.send_queued(message.pk).status == DeliveryStatus.SENT
    message.refresh_from_db()
    return message


# --- Inbound through the webhooks --------------------------------------------------------------


def test_a_postmark_email_opens_a_conversation_in_the_inbox_of_its_address(support):
    payload = postmark_payload(message_id="<first@mail.example.org>")

    response = post_postmark(Client(), payload)

    assert response.status_code == 200
    message = inbound_emails().get()
    conversation = message.conversation
    assert (conversation.inbox, conversation.channel) == (support, "email")
    assert conversation.address == CUSTOMER
    assert conversation.inbox_channel.address == SUPPORT
    assert conversation.subject == "Bestellung 4711 ist nicht angekommen"
    assert message.body == "Hallo, meine Bestellung 4711 ist noch nicht da."
    assert message.provider_message_id == "first@mail.example.org"
    assert conversation.contact.identities.filter(normalised=CUSTOMER).exists()


@pytest.mark.parametrize("auth", [None, "anymail:wrong", "someone:webhook-s3cret"])
def test_postmark_without_the_right_basic_auth_is_refused(support, auth):
    response = post_postmark(Client(), postmark_payload(), auth=auth)

    assert response.status_code in (400, 403)
    assert not Message.objects.exists()


def test_a_signed_mailgun_mime_email_is_stored_with_its_attachment(support):
    message = mime(message_id="<mg-1@mail.example.org>", text="Anbei die Rechnung.")
    message.add_attachment(b"%PDF-1.4 test", maintype="application", subtype="pdf",
                           filename="Rechnung 4711.pdf")  # fmt: skip

    response = post_mailgun(Client(), message)

    assert response.status_code == 200
    stored = inbound_emails().get()
    assert stored.provider_message_id == "mg-1@mail.example.org"
    assert stored.body.strip() == "Anbei die Rechnung."
    attachment = stored.attachments.get()
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "Rechnung_4711.pdf",
        "application/pdf",
        len(b"%PDF-1.4 test"),
    )
    assert attachment.file.read() == b"%PDF-1.4 test"


@pytest.mark.parametrize(
    "key, signature", [("wrong-key", None), (MAILGUN_KEY, ""), (MAILGUN_KEY, "0" * 64)]
)
def test_mailgun_with_a_wrong_or_missing_signature_is_refused(support, key, signature):
    message = mime(message_id="<mg-bad@mail.example.org>", text="Hallo")

    response = post_mailgun(Client(), message, key=key, signature=signature)

    assert response.status_code in (400, 403)
    assert not Message.objects.exists()


def test_html_is_sanitised_and_text_is_made_from_it_when_missing(support):
    html = (
        "<p>Hallo <b>Team</b>,</p><script>alert('x')</script>"
        '<img src="x" onerror="alert(1)"><p>Danke &amp; Gruß</p>'
    )
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = CUSTOMER, SUPPORT, "Nur HTML"
    message["Message-ID"] = "<html-only@mail.example.org>"
    message.set_content(html, subtype="html")

    assert post_mailgun(Client(), message).status_code == 200

    stored = inbound_emails().get()
    assert "<script" not in stored.html and "onerror" not in stored.html
    assert "<b>Team</b>" in stored.html
    assert stored.body == "Hallo Team,\nDanke & Gruß"


def test_attachments_and_inline_images_are_stored_and_oversized_ones_skipped(support, monkeypatch):
    from inbox.channels.email import inbound as email_inbound

    monkeypatch.setattr(email_inbound, "MAX_ATTACHMENT_BYTES", 1000)
    payload = postmark_payload(
        html='<p>Foto:</p><img src="cid:foto1">',
        attachments=[
            ("lieferschein.txt", "text/plain", b"Lieferschein 4711", None),
            ("foto.png", "image/png", PNG, "<foto1>"),
            ("riesig.bin", "application/octet-stream", b"x" * 1001, None),
        ],
    )

    assert post_postmark(Client(), payload).status_code == 200

    stored = {a.filename: a for a in Attachment.objects.all()}
    assert set(stored) == {"lieferschein.txt", "foto.png"}
    assert (stored["foto.png"].content_type, stored["foto.png"].size) == ("image/png", len(PNG))
    assert stored["foto.png"].file.read() == PNG  # its "\r\n" intact through the stored MIME
    assert stored["lieferschein.txt"].file.read() == b"Lieferschein 4711"


def test_a_copy_to_our_address_finds_the_inbox_by_cc(support):
    message = mime(message_id="<cc@mail.example.org>", to="kollege@example.org", text="Zur Info")
    message["Cc"] = f'"Service, Nordlicht" <{SUPPORT.upper()}>'

    assert post_mailgun(Client(), message, recipient="kollege@example.org").status_code == 200

    assert inbound_emails().get().conversation.inbox == support


def test_the_same_message_id_twice_is_stored_once(support):
    payload = postmark_payload(message_id="<twice@mail.example.org>")

    assert post_postmark(Client(), payload).status_code == 200
    assert post_postmark(Client(), payload).status_code == 200
    assert post_mailgun(Client(), mime(message_id="<twice@mail.example.org>")).status_code == 200

    assert inbound_emails().count() == 1


def test_an_email_to_an_unknown_address_is_answered_200_and_kept_unrouted(support, caplog):
    payload = postmark_payload(to="sales@elsewhere.example")

    assert post_postmark(Client(), payload).status_code == 200

    assert not Message.objects.exists()
    event = InboundEvent.objects.get()
    assert event.processed_at is not None
    assert event.error == "No inbox owns email sales@elsewhere.example"
    assert "to no address of ours" in caplog.text
    # Kept for a replay once the address is set up; erasing the sender's contact finds it.
    assert InboundEvent.objects.filter(payload__From__in=[CUSTOMER]).get() == event


def test_a_malformed_sender_is_ignored_with_200(support):
    message = mime(message_id="<bad-from@mail.example.org>", text="Hallo")
    message.replace_header("From", "not an address")

    assert post_mailgun(Client(), message).status_code == 200
    assert not Message.objects.exists() and not InboundEvent.objects.exists()


def test_a_database_error_answers_500_so_the_provider_retries(support, monkeypatch):
    def down(**kwargs):
        raise OperationalError("database is restarting")

    monkeypatch.setattr(InboundEvent.objects, "create", down)

    response = post_postmark(Client(raise_request_exception=False), postmark_payload())

    assert response.status_code == 500


# --- Verify, store, enqueue --------------------------------------------------------------------


def test_the_webhook_stores_the_email_and_routing_happens_in_a_task(
    support, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    payload = postmark_payload(message_id="<stored@mail.example.org>")

    # The insert, in a savepoint: no inbox, contact or conversation is looked up yet.
    with django_capture_on_commit_callbacks() as callbacks, django_assert_max_num_queries(3):
        response = post_postmark(Client(), payload, routed=False)

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert (event.provider, event.event_id) == ("postmark", "stored@mail.example.org")
    assert event.processed_at is None and event.payload["From"] == CUSTOMER
    assert "Bestellung 4711" in event.payload["mime"]
    assert not Message.objects.exists() and len(callbacks) == 1

    callbacks[0]()  # the task, after the commit

    event.refresh_from_db()
    assert event.processed_at is not None and event.error == ""
    assert event.payload == {}  # no copy of the customer's text outlives an erasure
    assert event.message == inbound_emails().get()
    assert event.message.conversation.inbox == support


def test_a_replayed_email_stores_nothing_and_enqueues_nothing(
    support, django_capture_on_commit_callbacks
):
    payload = postmark_payload(message_id="<replayed@mail.example.org>")

    with django_capture_on_commit_callbacks() as callbacks:
        for _replay in range(3):
            assert post_postmark(Client(), payload, routed=False).status_code == 200

    assert len(callbacks) == 1 and InboundEvent.objects.count() == 1
    callbacks[0]()
    assert post_postmark(Client(), payload).status_code == 200  # after routing: still nothing
    assert InboundEvent.objects.count() == 1 and inbound_emails().count() == 1


def test_an_email_the_broker_lost_is_routed_by_the_sweeper_with_its_attachment(support):
    message = mime(message_id="<lost@mail.example.org>", text="Anbei der Lieferschein.")
    message.add_attachment(b"%PDF-1.4\r\n\x00\xff", maintype="application", subtype="pdf",
                           filename="Lieferschein.pdf")  # fmt: skip

    # Published on commit, but the broker was down (or the worker died): nothing routed it.
    assert post_mailgun(Client(), message, routed=False).status_code == 200
    event = InboundEvent.objects.get()
    assert event.provider == "mailgun" and not Message.objects.exists()
    assert inbound.overdue() == []  # not yet: its task may still be on its way
    InboundEvent.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    assert inbound.overdue() == [event.pk]

    sweep_queued_messages()

    event.refresh_from_db()
    stored = inbound_emails().get()
    assert event.processed_at is not None and event.payload == {} and event.message == stored
    assert stored.body.strip() == "Anbei der Lieferschein."
    assert stored.attachments.get().file.read() == b"%PDF-1.4\r\n\x00\xff"
    assert stored.created_at == event.received_at  # when it arrived, not when it was routed


# --- Bad input -------------------------------------------------------------------------------


def test_nul_bytes_in_a_postmark_email_are_dropped_and_the_email_stored(support):
    """PostgreSQL cannot store NUL in text: a 500 would make the provider retry forever."""
    payload = postmark_payload(
        message_id="<nul\x00@mail.example.org>",
        subject="Bestellung\x00 4711",
        text="Hallo\x00 Team",
        html="<p>Hallo\x00 <b>Team</b></p>",
        attachments=[("liefer\x00schein.txt", "text/plain\x00", b"4711", None)],
    )
    payload["FromFull"]["Name"] = "Jana\x00 Berg"
    payload["OriginalRecipient"] = SUPPORT + "\x00"
    payload["Headers"].append({"Name": "In-Reply-To", "Value": "<old\x00@mail.example.org>"})

    response = post_postmark(Client(), payload)

    assert response.status_code == 200
    stored = inbound_emails().get()
    assert (stored.body, stored.html) == ("Hallo Team", "<p>Hallo <b>Team</b></p>")
    assert stored.provider_message_id == "nul@mail.example.org"
    assert stored.conversation.subject == "Bestellung 4711"
    assert stored.conversation.address == CUSTOMER
    attachment = stored.attachments.get()
    assert (attachment.filename, attachment.content_type) == ("lieferschein.txt", "text/plain")


def test_nul_bytes_in_a_mailgun_mime_email_are_dropped_and_the_email_stored(support):
    message = mime(message_id="<mg-nul@mail.example.org>", subject="Frage\x00", text="Hal\x00lo")

    assert post_mailgun(Client(), message).status_code == 200

    stored = inbound_emails().get()
    assert stored.body.strip() == "Hallo" and stored.conversation.subject == "Frage"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe not utf-8",
        b"[]",
        b'{"Headers": 5}',
        b'{"FromFull": "jana.berg@example.org"}',
        b'{"Attachments": [{"Name": "a.txt"}]}',
        b'{"Attachments": [{"ContentType": "text/plain", "Content": "not base64!"}]}',
    ],
    ids=["not-json", "not-utf8", "list", "headers", "from", "attachment", "base64"],
)
def test_an_authenticated_postmark_post_that_cannot_be_read_is_a_400(support, body):
    response = Client().post(
        POSTMARK_URL, body, content_type="application/json", HTTP_AUTHORIZATION=basic(BASIC_AUTH)
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "could not be read" in response.content.decode()
    assert not Message.objects.exists() and not Conversation.objects.exists()


def test_a_postmark_post_that_cannot_be_read_still_needs_the_basic_auth(support):
    response = Client().post(POSTMARK_URL, b"{not json", content_type="application/json")

    assert response.status_code == 400
    assert "could not be read" not in response.content.decode()


def signed_mailgun_form(**fields):
    timestamp, token = fields.pop("timestamp", str(int(time.time()))), uuid.uuid4().hex
    signature = hmac.new(
        MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    return {"timestamp": timestamp, "token": token, "signature": signature, **fields}


@pytest.mark.parametrize(
    "fields",
    [
        {"recipient": SUPPORT},
        {"recipient": SUPPORT, "message-headers": "{not json"},
        {"recipient": SUPPORT, "message-headers": "[]", "attachment-count": "1",
         "content-id-map": "{not json"},
        {"recipient": SUPPORT, "body-mime": "Subject: x\r\n\r\nHallo", "timestamp": "soon"},
    ],
    ids=["no-message", "headers-not-json", "content-ids-not-json", "timestamp"],
)  # fmt: skip
def test_a_signed_mailgun_post_that_cannot_be_read_is_a_400(support, fields):
    response = Client().post(
        MAILGUN_URL, signed_mailgun_form(**fields), HTTP_AUTHORIZATION=basic(BASIC_AUTH)
    )

    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert not Message.objects.exists() and not Conversation.objects.exists()


# --- Threading ---------------------------------------------------------------------------------


@pytest.fixture
def replied(support, alice):
    """A customer e-mail and our reply to it (sent through the locmem backend)."""
    post_postmark(Client(), postmark_payload(message_id="<start@mail.example.org>"))
    conversation = Conversation.objects.get()
    return conversation, sent_reply(conversation, alice)


def test_a_reply_to_our_message_id_continues_the_conversation(replied):
    conversation, ours = replied

    payload = postmark_payload(
        subject="Re: Bestellung", in_reply_to=f"<{ours.provider_message_id}>"
    )
    assert post_postmark(Client(), payload).status_code == 200

    assert Conversation.objects.count() == 1
    assert inbound_emails().filter(conversation=conversation).count() == 2


def test_references_alone_thread_the_reply(replied):
    _conversation, ours = replied
    references = f"<start@mail.example.org> <{ours.provider_message_id}> <unknown@x.example>"

    assert post_postmark(Client(), postmark_payload(references=references)).status_code == 200

    assert Conversation.objects.count() == 1


def test_our_reply_token_threads_even_without_headers(replied):
    conversation, _ours = replied
    to = email_channel.reply_address(SUPPORT, conversation.pk)

    assert post_postmark(Client(), postmark_payload(to=to, subject="Neue Frage")).status_code == 200

    assert Conversation.objects.count() == 1
    assert inbound_emails().last().conversation == conversation


def test_a_forged_token_or_another_inbox_conversation_opens_a_new_conversation(replied, bob):
    conversation, _ours = replied
    other = inbox_with("Vertrieb", members=[bob])
    InboxChannel.objects.create(inbox=other, kind="email", address="sales@nordlicht.example")
    forged = f"support+c{conversation.pk}-0123456789@nordlicht.example"
    foreign = email_channel.reply_address("sales@nordlicht.example", conversation.pk)

    post_postmark(Client(), postmark_payload(to=forged))
    post_postmark(Client(), postmark_payload(to=foreign))

    assert Conversation.objects.count() == 3
    assert Conversation.objects.filter(inbox=other).count() == 1


def test_a_fresh_email_from_the_same_sender_opens_a_new_conversation(replied):
    assert post_postmark(Client(), postmark_payload(subject="Andere Frage")).status_code == 200

    assert Conversation.objects.count() == 2
    assert Conversation.objects.latest("id").subject == "Andere Frage"


def test_a_very_long_message_id_is_stored_hashed_and_still_threads(support, alice):
    long_id = "<" + "a" * 250 + "@mail.example.org>"
    post_postmark(Client(), postmark_payload(message_id=long_id))
    stored = inbound_emails().get()
    assert stored.provider_message_id == email_channel.stored_message_id(long_id)
    assert stored.provider_message_id.startswith("sha256:")

    post_postmark(Client(), postmark_payload(references=long_id, subject="Re: …"))

    assert Conversation.objects.count() == 1
    assert inbound_emails().count() == 2


# --- Outbound ----------------------------------------------------------------------------------


def test_a_reply_carries_the_threading_headers_and_a_stable_message_id(replied, alice):
    conversation, ours = replied
    sent = mail.outbox[-1]

    assert sent.from_email == f"Kundenservice <{SUPPORT}>"
    assert sent.to == [CUSTOMER]
    assert sent.subject == "Re: Bestellung 4711 ist nicht angekommen"
    assert sent.extra_headers["Message-ID"] == f"<{ours.provider_message_id}>"
    assert sent.extra_headers["In-Reply-To"] == "<start@mail.example.org>"
    assert sent.extra_headers["References"] == "<start@mail.example.org>"
    token = sent.reply_to[0].split("+", 1)[1].split("@")[0]
    assert email_channel.conversation_for_token(token) == conversation.pk
    assert ours.provider == "email" and ours.status == DeliveryStatus.SENT
    assert (
        email_channel.build_email(ours, conversation.inbox_channel).extra_headers["Message-ID"]
        == f"<{ours.provider_message_id}>"
    ), "a resend carries the same Message-ID"

    second = sent_reply(conversation, alice)
    assert mail.outbox[-1].extra_headers["References"] == (
        f"<start@mail.example.org> <{ours.provider_message_id}>"
    )
    assert second.provider_message_id != ours.provider_message_id


def test_the_subject_is_not_doubled_and_has_a_default(replied):
    conversation, ours = replied
    Conversation.objects.filter(pk=conversation.pk).update(subject="RE: Bestellung")
    ours.conversation.refresh_from_db()
    assert email_channel.subject_for(ours.conversation) == "RE: Bestellung"
    Conversation.objects.filter(pk=conversation.pk).update(subject="")
    ours.conversation.refresh_from_db()
    assert email_channel.subject_for(ours.conversation) == "Your message to Kundenservice"


def test_no_email_address_in_the_inbox_fails_the_reply(replied, alice):
    conversation, _ours = replied
    InboxChannel.objects.all().delete()
    message = actions.reply(conversation, body="Hallo", actor=alice)

    assert delivery.send_queued(message.pk).status == DeliveryStatus.FAILED
    message.refresh_from_db()
    assert message.error_code == "no_sender"


@pytest.mark.worker
def test_a_reply_reaches_the_smtp_server_through_the_worker_and_the_answer_threads(
    celery_worker, smtp_server, support, alice, client_for
):
    post_postmark(Client(), postmark_payload(message_id="<round-1@mail.example.org>"))
    assert wait_for(Conversation.objects.exists), "the worker did not route the e-mail"
    conversation = Conversation.objects.get()

    response = client_for(alice).post(
        reverse("inbox:conversation_reply", args=[conversation.pk]),
        {"body": "Ihre Bestellung ist unterwegs.", "client_id": str(uuid.uuid4())},
    )

    assert response.status_code == 302
    reply = conversation.messages.get(direction="out")
    assert wait_for(lambda: Message.objects.get(pk=reply.pk).status == DeliveryStatus.SENT), (
        "the worker did not send the reply"
    )
    reply.refresh_from_db()
    [received] = smtp_server.received
    headers = received.message
    assert received.rcpt_tos == [CUSTOMER]
    assert headers["From"] == f"Kundenservice <{SUPPORT}>"
    assert headers["To"] == CUSTOMER
    assert headers["Subject"] == "Re: Bestellung 4711 ist nicht angekommen"
    assert headers["Message-ID"] == f"<{reply.provider_message_id}>"
    assert headers["In-Reply-To"] == "<round-1@mail.example.org>"
    assert headers["References"] == "<round-1@mail.example.org>"
    assert headers["Reply-To"] == email_channel.reply_address(SUPPORT, conversation.pk)
    assert "Ihre Bestellung ist unterwegs." in headers.get_content()

    answer = postmark_payload(
        subject="Re: Bestellung 4711 ist nicht angekommen",
        in_reply_to=headers["Message-ID"],
        references=f"<round-1@mail.example.org> {headers['Message-ID']}",
    )
    assert post_postmark(Client(), answer).status_code == 200
    assert wait_for(lambda: conversation.messages.filter(direction="in").count() == 2)
    assert Conversation.objects.count() == 1


@pytest.mark.parametrize("stage", ["rcpt_reply", "data_reply"])
def test_a_451_from_the_smtp_server_queues_the_reply_again(replied, alice, smtp_server, stage):
    conversation, _ours = replied
    setattr(smtp_server.handler, stage, "451 4.3.0 Try again later")
    message = actions.reply(conversation, body="Noch ein Versuch", actor=alice)

    outcome = delivery.send_queued(message.pk)

    message.refresh_from_db()
    assert outcome.status == DeliveryStatus.QUEUED and outcome.retry_in
    assert (message.status, message.error_code, message.attempts) == ("queued", "451", 1)
    assert message.due_at > timezone.now()


def test_a_550_for_the_recipient_fails_the_reply_with_the_code(replied, alice, smtp_server):
    conversation, _ours = replied
    smtp_server.handler.rcpt_reply = "550 5.1.1 No such user"
    message = actions.reply(conversation, body="Hallo", actor=alice)

    assert delivery.send_queued(message.pk).status == DeliveryStatus.FAILED

    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "550")
    assert "No such user" in message.error
    assert smtp_server.received == []


def test_an_smtp_server_not_listening_is_transient(replied, alice, smtp_server):
    conversation, _ours = replied
    smtp_server.stop()
    message = actions.reply(conversation, body="Hallo", actor=alice)

    assert delivery.send_queued(message.pk).status == DeliveryStatus.QUEUED

    message.refresh_from_db()
    assert message.status == "queued" and message.due_at > timezone.now()


def test_a_connection_dropped_after_data_leaves_the_reply_unknown(replied, alice, smtp_server):
    conversation, _ours = replied
    smtp_server.handler.drop_after_data = True
    message = actions.reply(conversation, body="Hallo", actor=alice)

    assert delivery.send_queued(message.pk).status == DeliveryStatus.UNKNOWN

    assert len(smtp_server.received) == 1, "the server got it; the client cannot know"


class FailingBackend(BaseEmailBackend):
    """An anymail-like backend that raises the next queued error."""

    errors: list[Exception] = []

    def send_messages(self, email_messages):
        raise self.errors.pop(0)


def api_error(status, body):
    response = requests.Response()
    response.status_code, response.reason, response._content = status, "Error", body.encode()
    return AnymailRequestsAPIError(email_message=None, payload=None, response=response)


@pytest.mark.parametrize(
    "error, status, code",
    [
        (api_error(429, '{"ErrorCode": 429, "Message": "Slow down"}'), "queued", "429"),
        (api_error(503, "Service Unavailable"), "queued", "503"),
        (api_error(422, '{"ErrorCode": 300, "Message": "Invalid To"}'), "failed", "422"),
        (AnymailRecipientsRefused("All recipients were rejected"), "failed", "refused"),
    ],
)
def test_anymail_errors_are_sorted_like_http_errors(replied, alice, settings, error, status, code):
    conversation, _ours = replied
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    FailingBackend.errors[:] = [error]
    message = actions.reply(conversation, body="Hallo", actor=alice)

    delivery.send_queued(message.pk)

    message.refresh_from_db()
    assert (message.status, message.error_code) == (status, code)


def test_an_esp_api_that_cannot_be_reached_is_transient(replied, alice, settings, smtp_server):
    """Anymail's real Postmark backend against a port where nothing listens."""
    conversation, _ours = replied
    smtp_server.stop()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "POSTMARK_SERVER_TOKEN": "server-token",
        "POSTMARK_API_URL": f"http://127.0.0.1:{smtp_server.port}/",
    }
    message = actions.reply(conversation, body="Hallo", actor=alice)

    assert delivery.send_queued(message.pk).status == DeliveryStatus.QUEUED
    message.refresh_from_db()
    assert "unreachable" in message.error
