"""Development console backends log no customer's number, address or text: logs outlive an
erasure (lib.masking, inbox.channels.console, lib.console_email)."""

import io
import logging
from pathlib import Path

from django.core.mail import EmailMessage, get_connection

from inbox import actions
from inbox.channels import console
from inbox.models import InboxChannel
from lib.console_email import EmailBackend
from lib.masking import mask_email, mask_phone, mask_recipient
from tests.factories import inbound, inbox_with

TEXT = "Meine Kundennummer ist 4711, bitte rufen Sie mich an"


def test_numbers_and_addresses_are_masked():
    assert mask_phone("+4917012345689") == "+49 ••• 89"
    assert mask_phone("whatsapp:+46701234567") == "whatsapp:+46 ••• 67"
    assert mask_phone("12") == "•••"
    assert mask_email("Anna.Berg@example.com") == "A•••@•••.com"
    assert mask_email("not an address") == "•••"
    assert mask_recipient("anna@example.se") == "a•••@•••.se"


def test_the_console_sms_channel_logs_the_masked_number_and_the_length(caplog):
    with caplog.at_level(logging.INFO, logger="switchboard.console_channel"):
        result = console.send_text(
            "sms", to="+4917012345689", from_="+4930123456", body=TEXT, status_callback=""
        )

    assert result.provider == "console"
    assert "+49 ••• 89" in caplog.text and f"{len(TEXT)} chars" in caplog.text
    assert "4711" not in caplog.text and "12345689" not in caplog.text


def test_a_reply_through_the_console_channel_logs_no_text(settings, alice, caplog, monkeypatch):
    settings.SMS_BACKEND = "console"
    monkeypatch.setattr(
        "django.db.transaction.on_commit", lambda func, using=None, robust=False: func()
    )
    inbox = inbox_with("Service", members=[alice])
    channel = InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")
    conversation = inbound(inbox, address="+4917012345689", inbox_channel=channel).conversation

    with caplog.at_level(logging.INFO):
        actions.reply(conversation, body=TEXT, actor=alice)

    assert "console sms to +49 ••• 89" in caplog.text
    assert TEXT not in caplog.text and "4917012345689" not in caplog.text


def test_the_console_email_backend_prints_masked_headers_and_no_body(settings):
    settings.PUBLIC_BASE_URL = "https://support.example.com"
    stream = io.StringIO()
    connection = EmailBackend(stream=stream)
    email = EmailMessage(
        subject="Re: Meine Bestellung 4711",
        body=f"{TEXT}\nhttps://support.example.com/accounts/invitation/abc/def/\nhttps://evil.example/x",
        from_email="service@nordlicht.example",
        to=["anna.berg@example.com"],
        cc=["ben@example.org"],
    )

    assert connection.send_messages([email]) == 1

    printed = stream.getvalue()
    assert "a•••@•••.com" in printed and "b•••@•••.org" in printed
    assert "anna.berg" not in printed and "ben@" not in printed
    assert "4711" not in printed and "Bestellung" not in printed
    # Links to this site (an invitation, a password reset) stay usable in development.
    assert "https://support.example.com/accounts/invitation/abc/def/" in printed
    assert "evil.example" not in printed


def test_development_settings_default_to_the_masking_email_backend():
    from config import settings as project_settings

    source = Path(project_settings.__file__).read_text(encoding="utf-8")
    assert 'default="lib.console_email.EmailBackend"' in source
    assert get_connection("lib.console_email.EmailBackend").__class__ is EmailBackend
