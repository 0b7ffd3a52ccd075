"""Structured logs: one JSON line per request and per task, with the request id carried into
tasks, route names instead of paths, and no personal data (lib/structured_logs.py,
lib/request_logs.py)."""

import io
import json
import logging
import uuid

import pytest
import structlog
from django.conf import settings
from django.urls import reverse

from config.celery import app as celery_app
from lib import structured_logs
from tests.factories import inbound, inbox_with

task_logger = logging.getLogger("switchboard.tests.observability")


@celery_app.task(name="tests.observability.log_inside")
def log_inside(text: str) -> None:
    task_logger.info("inside the task: %s", text)


@celery_app.task(name="tests.observability.fail")
def fail() -> None:
    raise RuntimeError("the provider refused +491701234567")


@pytest.fixture
def json_lines():
    """The JSON lines everything logs during the test, through the production formatter."""
    config = structured_logs.logging_config("json", "INFO")["formatters"]["structured"]
    formatter = structlog.stdlib.ProcessorFormatter(
        **{key: value for key, value in config.items() if key != "()"}
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.addHandler(handler)

    def read() -> list[dict]:
        handler.flush()
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield read
    root.removeHandler(handler)


def finished(lines):
    return [line for line in lines if line["event"] == "request_finished"]


def test_production_logs_are_json_and_development_logs_are_readable():
    assert settings.LOG_FORMAT in {"json", "console"}
    json_config = structured_logs.logging_config("json", "INFO")
    console_config = structured_logs.logging_config("console", "DEBUG")

    json_renderer = json_config["formatters"]["structured"]["processors"][-1]
    console_renderer = console_config["formatters"]["structured"]["processors"][-1]
    assert isinstance(json_renderer, structlog.processors.JSONRenderer)
    assert isinstance(console_renderer, structlog.dev.ConsoleRenderer)
    assert console_config["root"]["level"] == "DEBUG"


def test_one_line_per_request_with_route_user_status_duration_and_queries(
    client_for, alice, json_lines
):
    client = client_for(alice)

    response = client.get(reverse("inbox:index"), {"q": "geheim-suchwort"})

    assert response.status_code == 200
    [line] = finished(json_lines())
    assert line["route"] == "inbox:index"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["user_id"] == alice.pk
    assert isinstance(line["duration_ms"], float)
    assert line["db_queries"] >= 1
    assert line["level"] == "info"
    assert line["request_id"] == response["X-Request-ID"]
    uuid.UUID(line["request_id"])
    # No path, query string, address or browser in the line.
    text = json.dumps(line)
    assert "geheim-suchwort" not in text
    assert "/inbox/" not in text
    assert "ip" not in line
    assert "user_agent" not in line
    assert not [entry for entry in json_lines() if entry["event"] == "request_started"]


def test_an_upstream_request_id_is_kept_and_returned(client, db, json_lines):
    response = client.get(reverse("healthz"), headers={"X-Request-ID": "proxy-1234abcd"})

    assert response["X-Request-ID"] == "proxy-1234abcd"
    [line] = finished(json_lines())
    assert line["request_id"] == "proxy-1234abcd"
    assert line["route"] == "healthz"
    assert line["user_id"] is None


def test_a_request_id_that_does_not_look_like_one_is_replaced(client, db, json_lines):
    response = client.get(reverse("healthz"), headers={"X-Request-ID": "<script>" + "x" * 100})

    [line] = finished(json_lines())
    assert line["request_id"] == response["X-Request-ID"]
    uuid.UUID(response["X-Request-ID"])


def test_an_unknown_path_is_logged_without_it(client_for, alice, json_lines):
    response = client_for(alice).get("/nothing-here/4915112345678/?token=abc")

    assert response.status_code == 404
    [line] = finished(json_lines())
    assert line["route"] is None
    assert line["status"] == 404
    assert "4915112345678" not in json.dumps(json_lines())
    assert "token=abc" not in json.dumps(json_lines())


def test_plain_logging_calls_carry_the_request_id_and_lose_personal_data(json_lines):
    structlog.contextvars.bind_contextvars(request_id="req-abcdefgh")
    try:
        logging.getLogger("switchboard.inbox").warning(
            "no inbox owns %s, sender %s, see /s/abc?token=secret",
            "+49 170 1234567",
            "kunde@example.com",
            extra={"ip": "203.0.113.9", "phone": "+4917012345", "message_id": 42},
        )
    finally:
        structlog.contextvars.clear_contextvars()

    [line] = json_lines()
    assert line["request_id"] == "req-abcdefgh"
    assert line["logger"] == "switchboard.inbox"
    assert line["message_id"] == 42
    assert "ip" not in line
    assert "phone" not in line
    text = json.dumps(line)
    assert "1234567" not in text
    assert "kunde@example.com" not in text
    assert "secret" not in text
    assert "[phone]" in line["event"]
    assert "[email]" in line["event"]


def test_masking_leaves_ids_counts_and_uuids_alone():
    text = "task 9c1d2e3f-0123-4567-89ab-446655440000 took 1234567 ms for message 1234"

    assert structured_logs.mask_text(text) == text
    assert structured_logs.mask_text("call 0170/1234567 now") == "call [phone] now"
    assert structured_logs.mask_text("GET /contacts/?q=anna") == "GET /contacts/?[query]"


def test_caplog_still_sees_plain_logging(caplog):
    logging.getLogger("switchboard.inbox").warning("a message to no address of ours")

    assert "to no address of ours" in caplog.text


@pytest.mark.worker
def test_the_request_id_travels_into_the_task_and_the_task_logs_one_line(celery_worker, json_lines):
    structlog.contextvars.bind_contextvars(request_id="req-abcdef12", user_id=7)
    try:
        result = log_inside.delay("hello")
    finally:
        structlog.contextvars.clear_contextvars()
    _wait_for(lambda: any(line["event"] == "task_succeeded" for line in json_lines()))

    lines = json_lines()
    [inside] = [line for line in lines if line["event"].startswith("inside the task")]
    done = [line for line in lines if line["event"] == "task_succeeded"][-1]
    assert inside["request_id"] == done["request_id"] == "req-abcdef12"
    assert done["user_id"] == 7
    assert done["task"] == "tests.observability.log_inside"
    assert done["queue"] == "realtime"
    assert done["outcome"] == "success"
    assert isinstance(done["duration_ms"], int)
    assert done["task_id"] == result.id
    assert not [line for line in lines if line["event"] == "task_started"]


@pytest.mark.worker
def test_a_failing_task_logs_its_failure_without_personal_data(celery_worker, json_lines):
    fail.delay()
    _wait_for(lambda: any(line["event"] == "task_failed" for line in json_lines()))

    # (Each worker a test starts connects its own receivers; the last one's line counts.)
    failed = [line for line in json_lines() if line["event"] == "task_failed"][-1]
    assert failed["outcome"] == "failure"
    assert failed["task"] == "tests.observability.fail"
    assert "491701234567" not in json.dumps(failed)


def _wait_for(condition, timeout=15.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_an_inbound_webhook_log_has_no_phone_number(db, json_lines, organisation):
    inbox = inbox_with("Support")
    inbound(inbox, address="+49 170 7654321")

    assert "7654321" not in json.dumps(json_lines())


def test_a_server_error_logs_neither_the_query_string_nor_an_address(client_for, alice, json_lines):
    """django.request logs a 500 with the WSGIRequest in `extra`, whose repr is the whole URL."""
    from unittest import mock

    client = client_for(alice)
    client.raise_request_exception = False
    with mock.patch("django.urls.resolvers.URLPattern.resolve", autospec=True) as resolve:
        resolve.side_effect = RuntimeError("kunde@example.com +4917012345678 broke it")
        response = client.get("/inbox/?q=kunde@example.com")

    assert response.status_code == 500
    text = json.dumps(json_lines())
    assert "kunde@example.com" not in text
    assert "4917012345678" not in text
    assert "q=kunde" not in text
    assert any(line.get("level") == "error" for line in json_lines())
