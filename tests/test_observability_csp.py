"""CSP violation reports: report-uri and report-to point at /csp-report, which logs the
blocked origin, the directive and the page's route — nothing else — within a rate limit."""

import json

import pytest
from django.test import Client
from django.urls import reverse

REPORT = "/csp-report"


@pytest.fixture
def browser_client():
    return Client(enforce_csrf_checks=True)


def csp_report(blocked="https://evil.example/x.js?user=anna@example.com", document=None):
    return json.dumps(
        {
            "csp-report": {
                "document-uri": document or "https://support.example.com/inbox/?q=secret-term",
                "referrer": "https://support.example.com/contacts/12/",
                "violated-directive": "script-src-elem",
                "effective-directive": "script-src-elem",
                "original-policy": "default-src 'self'",
                "blocked-uri": blocked,
                "disposition": "enforce",
                "status-code": 200,
            }
        }
    )


def post(client, body, content_type="application/csp-report", **extra):
    return client.post(REPORT, body, content_type=content_type, **extra)


def logged(caplog):
    return [record for record in caplog.records if record.name == "switchboard.csp"]


def test_the_policy_names_the_report_endpoint(client, db):
    response = client.get(reverse("accounts:login"))

    policy = response["Content-Security-Policy"]
    assert "report-uri /csp-report" in policy
    assert "report-to csp-endpoint" in policy
    assert response["Reporting-Endpoints"] == 'csp-endpoint="http://127.0.0.1:8000/csp-report"'


def test_a_report_is_logged_with_origin_directive_and_route_only(browser_client, db, caplog):
    response = post(browser_client, csp_report())

    assert response.status_code == 204
    [record] = logged(caplog)
    assert record.blocked == "https://evil.example"
    assert record.directive == "script-src-elem"
    assert record.document_route == "inbox:index"
    assert record.disposition == "enforce"
    text = json.dumps(record.__dict__, default=str)
    assert "anna@example.com" not in text
    assert "secret-term" not in text
    assert "/contacts/12/" not in text


def test_a_reporting_api_batch_is_logged_report_by_report(browser_client, db, caplog):
    body = json.dumps(
        [
            {
                "type": "csp-violation",
                "url": "https://support.example.com/contacts/5/",
                "body": {
                    "documentURL": "https://support.example.com/contacts/5/",
                    "blockedURL": "inline",
                    "effectiveDirective": "style-src-attr",
                    "disposition": "enforce",
                },
            },
            {"type": "deprecation", "body": {"id": "x"}},
            {
                "type": "csp-violation",
                "body": {"documentURL": "about:blank", "blockedURL": "data:image/png;base64,AA"},
            },
        ]
    )

    response = post(browser_client, body, content_type="application/reports+json")

    assert response.status_code == 204
    first, second = logged(caplog)
    assert (first.blocked, first.directive, first.document_route) == (
        "inline",
        "style-src-attr",
        "contacts:detail",
    )
    assert (second.blocked, second.directive, second.document_route) == ("data", None, None)


@pytest.mark.parametrize(
    "body", [b"{not json", b"\xff\xfe", b'"a string"', b"42", b'{"csp-report": 1}']
)
def test_a_body_that_is_not_a_report_is_refused(browser_client, db, caplog, body):
    assert post(browser_client, body).status_code == 400
    assert not logged(caplog)


def test_another_content_type_is_refused(browser_client, db):
    assert post(browser_client, csp_report(), content_type="text/plain").status_code == 415
    assert browser_client.get(REPORT).status_code == 405


def test_a_large_body_is_refused_unread(browser_client, db, caplog):
    body = csp_report(blocked="https://evil.example/" + "a" * 17_000)

    assert post(browser_client, body).status_code == 413
    assert not logged(caplog)


def test_reports_are_rate_limited_per_address_and_then_not_logged(
    browser_client, db, caplog, settings
):
    settings.CSP_REPORT_RATE_LIMIT = "2/minute"

    for _report in range(2):
        assert post(browser_client, csp_report(), REMOTE_ADDR="198.51.100.7").status_code == 204
    over = post(browser_client, csp_report(), REMOTE_ADDR="198.51.100.7")
    other = post(browser_client, csp_report(), REMOTE_ADDR="198.51.100.8")

    assert over.status_code == 429
    assert other.status_code == 204
    assert len(logged(caplog)) == 3


def test_the_endpoint_needs_no_login_and_no_csrf_token(browser_client, db):
    response = post(browser_client, csp_report())

    assert response.status_code == 204
