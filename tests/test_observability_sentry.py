"""Sentry is optional (SENTRY_DSN) and sends no personal data (lib/sentry.py)."""

import json

import sentry_sdk

from lib.sentry import before_send
from tests.test_settings_module import run_django


def event():
    return {
        "message": "could not reach kunde@example.com at +49 170 1234567",
        "logentry": {
            "message": "send to %s failed",
            "formatted": "send to +4917012345678 failed",
            "params": ["+4917012345678"],
        },
        "user": {"id": "7", "email": "ada@nordlicht.example", "ip_address": "203.0.113.9"},
        "request": {
            "url": "https://support.example.com/contacts/?q=anna",
            "method": "POST",
            "query_string": "q=anna",
            "data": {"body": "Hallo, meine Nummer ist 0170 1234567"},
            "cookies": {"sessionid": "abc"},
            "headers": {
                "Cookie": "sessionid=abc",
                "Authorization": "Bearer secret",
                "User-Agent": "Mozilla/5.0",
                "X-Forwarded-For": "203.0.113.9",
                "Content-Type": "application/x-www-form-urlencoded",
                "Host": "support.example.com",
            },
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "not a number: anna@example.com",
                    "stacktrace": {"frames": [{"function": "send", "vars": {"to": "+4917012"}}]},
                }
            ]
        },
        "breadcrumbs": {
            "values": [{"message": "SELECT … WHERE email = 'anna@example.com'", "data": {"x": 1}}]
        },
        "extra": {"sys.argv": ["manage.py"]},
    }


def test_before_send_removes_personal_data():
    scrubbed = before_send(event(), {})

    text = json.dumps(scrubbed)
    for secret in (
        "kunde@example.com",
        "1234567",
        "4917012345678",
        "ada@nordlicht.example",
        "203.0.113.9",
        "sessionid",
        "Bearer secret",
        "Mozilla",
        "anna",
        "Hallo",
    ):
        assert secret not in text, secret
    assert scrubbed["user"] == {"id": "7"}
    assert scrubbed["request"]["url"] == "https://support.example.com/contacts/"
    assert scrubbed["request"]["method"] == "POST"
    assert set(scrubbed["request"]["headers"]) == {"Content-Type", "Host"}
    assert scrubbed["exception"]["values"][0]["type"] == "ValueError"
    assert "[email]" in scrubbed["exception"]["values"][0]["value"]


def test_before_send_copes_with_a_bare_event():
    assert before_send({}, None) == {}
    assert before_send({"user": {"email": "a@b.example"}}, None) == {"user": {}}


def test_without_a_dsn_sentry_is_not_started():
    assert not sentry_sdk.get_client().is_active()


def test_a_dsn_starts_sentry_with_django_celery_and_no_pii():
    code = (
        "import sentry_sdk; c = sentry_sdk.get_client(); "
        "print(c.is_active(), c.options['send_default_pii'], c.options['environment'], "
        "c.options['traces_sample_rate'], sorted(c.integrations))"
    )
    result = run_django(
        {
            "SECRET_KEY": "x" * 50,
            "SENTRY_DSN": "https://public@127.0.0.1:9/1",
            "SENTRY_ENVIRONMENT": "staging",
            "SENTRY_TRACES_SAMPLE_RATE": "0.25",
        },
        "shell",
        "-c",
        code,
    )

    assert result.returncode == 0, result.stderr
    active, pii, environment, rate, integrations = (
        result.stdout.strip().splitlines()[-1].split(" ", 4)
    )
    assert (active, pii, environment, rate) == ("True", "False", "staging", "0.25")
    assert "'django'" in integrations
    assert "'celery'" in integrations


def test_a_bad_sample_rate_stops_the_process():
    result = run_django({"SECRET_KEY": "x" * 50, "SENTRY_TRACES_SAMPLE_RATE": "2"}, "check")

    assert result.returncode != 0
    assert "SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1" in result.stderr
