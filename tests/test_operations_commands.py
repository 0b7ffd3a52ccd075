"""check_providers, send_test_sms, send_test_email and createadmin: clear output, status 1 on
failure, never a traceback."""

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import AccountEvent, Role, User
from inbox.channels import TransientFailure, locmem
from inbox.models import InboxChannel
from tests.factories import inbox_with
from tests.fakes.twilio_api import Error


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.mark.parametrize(
    "command",
    ["check_providers", "send_test_sms", "send_test_email", "requeue_outbound",
     "inbound_events", "createadmin"],
)  # fmt: skip
def test_every_command_explains_itself(command):
    from django.core.management import load_command_class

    parser = load_command_class("operations", command).create_parser("manage.py", command)

    assert len(parser.format_help()) > 300


# --- check_providers ---------------------------------------------------------------------


def test_check_providers_with_working_twilio_credentials(fake_twilio, settings, live_server):
    settings.DEBUG = True  # a development machine: local URLs and a local mail backend are fine
    settings.PUBLIC_BASE_URL = live_server.url
    inbox = inbox_with("Service")
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")

    output = run("check_providers")

    assert "TWILIO_AUTH_TOKEN: set" in output
    assert "Twilio account status: active" in output
    assert f"{live_server.url}/webhooks/twilio/" in output
    assert "/healthz answered 200" in output
    assert "+4930123456 → Service" in output
    assert fake_twilio.auth_token not in output
    assert "All checks passed." in output


def test_check_providers_fails_on_refused_twilio_credentials(fake_twilio, settings, db):
    settings.TWILIO_AUTH_TOKEN = "wrong"
    from inbox.channels.twilio import outbound

    outbound.client.cache_clear()

    with pytest.raises(CommandError, match="Twilio refused the credentials"):
        run("check_providers")
    outbound.client.cache_clear()


def test_check_providers_in_production_wants_https_and_a_real_backend(settings, db):
    settings.DEBUG = False
    settings.SMS_BACKEND = "console"
    settings.PUBLIC_BASE_URL = "http://support.example.com"

    with pytest.raises(CommandError) as failed:
        run("check_providers", "--offline")

    assert "PUBLIC_BASE_URL is not https" in str(failed.value)
    assert "console sends nothing in production" in str(failed.value)


def test_check_providers_reports_an_unresolvable_public_host(settings, db):
    settings.PUBLIC_BASE_URL = "https://support.invalid"

    with pytest.raises(CommandError, match="does not resolve"):
        run("check_providers")


# --- send_test_sms / send_test_email -------------------------------------------------------


def test_send_test_sms_goes_through_twilio_and_prints_the_sid(fake_twilio, organisation):
    inbox = inbox_with("Service")
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")

    output = run("send_test_sms", "--to", "+49 170 1234567", "--inbox", str(inbox.pk))

    [sent] = fake_twilio.accepted
    assert (sent["To"], sent["From"]) == ("+491701234567", "+4930123456")
    assert sent["Sid"] in output and "Provider twilio" in output


def test_send_test_sms_prints_the_providers_refusal(fake_twilio, organisation):
    fake_twilio.then(Error(400, 21211, "Invalid 'To' Phone Number"))

    with pytest.raises(CommandError, match=r"Refused \[21211\]: Twilio 400"):
        run("send_test_sms", "--to", "+491701234567", "--from", "+4930123456")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "hello"], "is not a phone number"),
        (["--to", "+491701234567", "--inbox", "999999"], "no inbox with id 999999"),
        (["--to", "+491701234567"], "No inbox has a sms number"),
    ],
)
def test_send_test_sms_refuses_bad_input_clearly(settings, organisation, args, message):
    settings.SMS_BACKEND = "locmem"

    with pytest.raises(CommandError, match=message):
        run("send_test_sms", *args)


def test_send_test_sms_reports_a_transient_failure(settings, organisation):
    settings.SMS_BACKEND = "locmem"
    locmem.reset()
    locmem.failures.append(TransientFailure("Twilio unreachable", ""))

    with pytest.raises(CommandError, match="temporary"):
        run("send_test_sms", "--to", "+491701234567", "--from", "+4930123456")
    locmem.reset()


def test_send_test_email_hands_the_email_to_the_backend(organisation):
    inbox = inbox_with("Service")
    InboxChannel.objects.create(inbox=inbox, kind="email", address="service@nordlicht.example")

    output = run("send_test_email", "--to", "Anna@Example.com")

    [email] = mail.outbox
    assert email.to == ["anna@example.com"]
    assert email.from_email == "Service <service@nordlicht.example>"
    assert email.extra_headers["Message-ID"] in output


def test_send_test_email_reports_a_refusing_mail_server(settings, organisation):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1

    with pytest.raises(CommandError, match="Mail server unreachable"):
        run("send_test_email", "--to", "anna@example.com")


def test_send_test_email_refuses_a_bad_address(organisation):
    with pytest.raises(CommandError, match="not a valid e-mail address"):
        run("send_test_email", "--to", "anna@")


# --- createadmin ---------------------------------------------------------------------------


def test_createadmin_sends_the_invitation(organisation):
    output = run("createadmin", "--email", "Ops@Nordlicht.example", "--language", "de")

    user = User.objects.get(email="ops@nordlicht.example")
    assert user.role == Role.ADMIN and not user.has_usable_password()
    assert (user.display_name, user.language) == ("ops", "de")
    assert AccountEvent.objects.filter(user=user, kind=AccountEvent.Kind.USER_INVITED).exists()
    [email] = mail.outbox
    assert email.to == ["ops@nordlicht.example"] and "/accounts/invitation/" in email.body
    assert "invitation is sent" in output


def test_createadmin_prints_a_link_that_works_once(organisation, client):
    output = run("createadmin", "--email", "ops@nordlicht.example", "--name", "Olga Ops", "--link")

    assert not mail.outbox
    link = re.search(r"https?://\S+/accounts/invitation/\S+", output)[0]
    path = link.split("://", 1)[1].partition("/")[2]
    form = client.get("/" + path, follow=True)
    assert form.status_code == 200 and b"new_password1" in form.content
    password = "a long and fine password 42"
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    assert done.status_code == 302
    assert User.objects.get(email="ops@nordlicht.example").check_password(password)
    client.logout()
    again = client.get("/" + path, follow=True)
    assert b"new_password1" not in again.content


def test_createadmin_refuses_an_existing_address(ada):
    with pytest.raises(CommandError, match="exists already"):
        run("createadmin", "--email", "ADA@nordlicht.example")
    assert User.objects.filter(email="ada@nordlicht.example").count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "nope"], "not a valid e-mail"),
        (["--email", "a@b.example", "--language", "xx"], "Unknown language"),
    ],
)
def test_createadmin_refuses_bad_input(organisation, args, message):
    with pytest.raises(CommandError, match=message):
        run("createadmin", *args)


def test_createadmin_creates_nobody_when_the_mail_cannot_go(settings, organisation):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1

    with pytest.raises(CommandError, match="nobody was created"):
        run("createadmin", "--email", "ops@nordlicht.example")
    assert not User.objects.filter(email="ops@nordlicht.example").exists()
