"""/metrics: token-protected Prometheus metrics by route name, tasks by queue, queue depth,
outbound messages by status, webhook deliveries (lib/metrics.py, inbox/metrics.py)."""

import json
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from inbox.metrics import outbound_by_status
from inbox.models import Message
from lib import metrics
from tests.factories import inbound, inbox_with

ROOT = Path(__file__).resolve().parent.parent
METRICS = "/metrics"
TOKEN = "metrics-token-for-tests-0123456789"


@celery_app.task(name="tests.observability.metrics_ok")
def metrics_ok() -> None:
    return None


@celery_app.task(name="tests.observability.metrics_boom")
def metrics_boom() -> None:
    raise ValueError("boom")


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client, token=TOKEN) -> str:
    response = client.get(METRICS, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_without_a_configured_token_there_is_no_endpoint(client, db, settings):
    settings.METRICS_TOKEN = ""

    assert client.get(METRICS, headers={"Authorization": "Bearer "}).status_code == 404


def test_a_wrong_or_missing_token_is_refused(client, db, token):
    assert client.get(METRICS).status_code == 403
    assert client.get(METRICS, headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get(METRICS, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 403


def test_the_right_token_needs_no_login(client, db, token):
    text = scrape(client)

    assert "# TYPE switchboard_webhook_deliveries_total counter" in text
    assert "# TYPE switchboard_task_duration_seconds histogram" in text


def test_requests_are_labelled_by_route_name_not_path(client_for, alice, client, token):
    inbox_with("Support", members=[alice])
    client_for(alice).get(reverse("inbox:index"))
    client_for(alice).get("/contacts/987654321/")

    text = scrape(client)

    assert (
        'django_http_requests_latency_seconds_by_view_method_count{method="GET",view="inbox:index"}'
        in text
    )
    assert 'view="contacts:detail"' in text
    labels = " ".join(re.findall(r"\{[^}]*\}", text))  # values (sums) may hold any digits
    assert "987654321" not in labels
    assert "/contacts/" not in labels
    assert 'status="200"' in text


def test_an_odd_method_does_not_become_a_label(client, db, token):
    client.generic("FROBNICATE", reverse("healthz"))

    text = scrape(client)

    assert "FROBNICATE" not in text


def test_tasks_run_in_process_are_timed_as_inline(client, db, token):
    metrics_ok.delay()

    text = scrape(client)

    assert (
        'switchboard_task_duration_seconds_count{queue="inline",task="tests.observability.metrics_ok"}'
        in text
    )


@pytest.mark.worker
def test_a_worker_times_tasks_and_counts_failures_by_queue(celery_worker, client, token):
    def failures() -> float:
        sample = metrics.TASK_FAILURES.labels("tests.observability.metrics_boom", "realtime")
        return sample._value.get()

    before = failures()
    metrics_ok.delay()
    metrics_boom.delay()
    _wait_for(lambda: failures() == before + 1)

    text = scrape(client)
    assert (
        'switchboard_task_duration_seconds_count{queue="realtime",task="tests.observability.metrics_ok"}'
        in text
    )
    assert (
        'switchboard_task_failures_total{queue="realtime",task="tests.observability.metrics_boom"}'
        in text
    )


def _wait_for(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_webhook_deliveries_are_counted_by_outcome(client, db, token):
    metrics.WEBHOOK_DELIVERIES.labels("delivered").inc()

    assert 'switchboard_webhook_deliveries_total{outcome="delivered"}' in scrape(client)


def test_outbound_messages_of_the_last_day_by_status(client, organisation, token):
    inbox = inbox_with("Support")
    conversation = inbound(inbox).conversation
    for status in ("sent", "sent", "failed"):
        Message.objects.create(conversation=conversation, direction="out", status=status)
    Message.objects.create(
        conversation=conversation,
        direction="out",
        status="sent",
        created_at=timezone.now() - timedelta(days=2),
    )

    assert outbound_by_status() == {"sent": 2, "failed": 1}
    text = scrape(client)
    assert 'switchboard_outbound_messages_24h{status="sent"} 2.0' in text
    assert 'switchboard_outbound_messages_24h{status="failed"} 1.0' in text
    assert 'switchboard_outbound_messages_24h{status="queued"} 0.0' in text
    assert 'status="received"' not in text


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), reason="PostgreSQL"
)
def test_the_outbound_count_reads_its_partial_index(db):
    since = timezone.now() - timedelta(hours=24)
    query = (
        Message.objects.filter(direction="out", created_at__gte=since)
        .order_by()
        .values_list("status")
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "message_outbound_recent_idx" in plan


def test_a_failing_collector_leaves_the_other_metrics(client, db, token, monkeypatch):
    def broken():
        raise RuntimeError("database away")

    monkeypatch.setattr("inbox.metrics.outbound_by_status", broken)

    text = scrape(client)

    assert "switchboard_outbound_messages_24h" not in text
    assert "switchboard_task_duration_seconds" in text


@pytest.mark.skipif(not settings.REDIS_URL, reason="queue depth is read from Redis")
def test_queue_depth_per_workload_is_read_from_redis(client, db, token):
    import redis

    redis_client = redis.Redis.from_url(settings.REDIS_URL)
    queue = settings.CELERY_WORKLOAD_QUEUES["bulk"]
    redis_client.delete(queue)
    redis_client.lpush(queue, "one", "two", "three")
    try:
        text = scrape(client)
    finally:
        redis_client.delete(queue)

    assert 'switchboard_queue_depth{queue="bulk"} 3.0' in text
    assert 'switchboard_queue_depth{queue="send"}' in text


def test_the_token_is_compared_whole():
    assert metrics.token_matches("abc", "Bearer abc")
    assert metrics.token_matches("abc", "bearer abc")
    assert not metrics.token_matches("abc", "Bearer ab")
    assert not metrics.token_matches("abc", "Bearer abcd")
    assert not metrics.token_matches("", "Bearer ")


def test_several_processes_add_up_in_multiprocess_mode(tmp_path):
    """Two processes count; a third one's scrape sees both (PROMETHEUS_MULTIPROC_DIR)."""
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "SECRET_KEY": "x" * 50,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("REDIS_URL", None)
    count = "from lib import metrics; metrics.WEBHOOK_DELIVERIES.labels('failed').inc()"
    scrape_code = (
        "import django; django.setup(); from lib import metrics; "
        "print(json.dumps(metrics.render().decode()))"
    )
    for _process in range(2):
        subprocess.run([sys.executable, "-c", count], cwd=ROOT, env=env, check=True, timeout=60)
    result = subprocess.run(
        [sys.executable, "-c", f"import json; {scrape_code}"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )

    text = json.loads(result.stdout.strip().splitlines()[-1])
    assert 'switchboard_webhook_deliveries_total{outcome="failed"} 2.0' in text


def test_the_grafana_dashboard_is_valid_json_with_a_panel_per_metric():
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())

    expressions = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    )
    for name in (
        "django_http_requests_latency_seconds_by_view_method_bucket",
        "django_http_responses_total_by_status_view_method",
        "switchboard_task_duration_seconds_bucket",
        "switchboard_task_failures_total",
        "switchboard_queue_depth",
        "switchboard_outbound_messages_24h",
        "switchboard_webhook_deliveries_total",
    ):
        assert name in expressions, name
