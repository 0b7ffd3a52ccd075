"""Prometheus metrics: the shared registry module every app imports, and `/metrics`.

- Requests: django-prometheus' middleware (`django_http_requests_latency_seconds_by_view_method`,
  `django_http_responses_total_by_status_view_method`), labelled by the URL pattern's name
  (`inbox:conversation`), never by the path.
- Tasks: `switchboard_task_duration_seconds` and `switchboard_task_failures_total` by task
  and workload queue, from Celery's signals (connected in config/celery.py).
- Queue depth: `switchboard_queue_depth`, the length of each workload's Redis list, read
  when Prometheus scrapes.
- Webhook deliveries: `WEBHOOK_DELIVERIES`, a counter the webhooks code increments.
- Apps add collectors computed at scrape time with `register_scrape_collector` from their
  AppConfig.ready (inbox.metrics: outbound messages by status) — lib never imports an app.

With several processes (gunicorn workers, Celery workers) set PROMETHEUS_MULTIPROC_DIR to an
empty directory shared by them, created before they start: prometheus_client then keeps each
process's values in files there and the scrape adds them up (README "Observability").
"""

import hmac
import logging
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger("switchboard.metrics")

TASK_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

TASK_DURATION = Histogram(
    "switchboard_task_duration_seconds",
    "Run time of Celery tasks, by task and workload queue.",
    ("task", "queue"),
    buckets=TASK_BUCKETS,
)
TASK_FAILURES = Counter(
    "switchboard_task_failures_total",
    "Celery tasks that raised, by task and workload queue.",
    ("task", "queue"),
)
# outcome: delivered (2xx), failed (an error or non-2xx answer, retried later), gave_up
# (no more retries).
WEBHOOK_DELIVERIES = Counter(
    "switchboard_webhook_deliveries_total",
    "Outbound webhook delivery attempts, by outcome.",
    ("outcome",),
)

# --- Collectors computed at scrape time -----------------------------------------------------

_scrape_collectors: list[Collector] = []


def register_scrape_collector(collector: Collector) -> None:
    """Add a collector whose `collect()` runs on every scrape (once per collector)."""
    if not any(type(known) is type(collector) for known in _scrape_collectors):
        _scrape_collectors.append(collector)


class _Safe:
    """A collector that fails (the database or Redis away) leaves the others standing."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector

    def collect(self) -> Iterator[Metric]:
        try:
            yield from list(self.collector.collect())
        except Exception:
            logger.warning("metrics collector failed: %s", type(self.collector).__name__)


class _ProcessMetrics:
    """This process's metrics: the default registry (single process)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def scrape_registry() -> CollectorRegistry:
    """A registry for one scrape: every process's metrics plus the scrape-time collectors."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    for collector in _scrape_collectors:
        registry.register(_Safe(collector))
    return registry


def render() -> bytes:
    return generate_latest(scrape_registry())


def token_matches(expected: str, authorization: str) -> bool:
    """`Authorization: Bearer <expected>`, compared in constant time."""
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer" or not expected:
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


class QueueDepthCollector:
    """`switchboard_queue_depth{queue=<workload>}`: tasks waiting in each workload's Redis
    list (kombu keeps one list per priority step; they are added up)."""

    def collect(self) -> Iterator[Metric]:
        from django.conf import settings

        gauge = GaugeMetricFamily(
            "switchboard_queue_depth", "Tasks waiting in each workload queue.", labels=["queue"]
        )
        if settings.REDIS_URL:
            from lib import queue_depths

            depths = queue_depths.read(queue_depths.redis_client(), time.time())
            for workload, (depth, _oldest) in depths.items():
                gauge.add_metric([workload], depth)
        yield gauge


register_scrape_collector(QueueDepthCollector())

# --- Celery tasks ---------------------------------------------------------------------------


def _on_task_prerun(task: Any = None, **kwargs: Any) -> None:
    if task is not None:
        task.request._metrics_started = time.perf_counter()


def _on_task_postrun(task: Any = None, **kwargs: Any) -> None:
    started = getattr(getattr(task, "request", None), "_metrics_started", None)
    if started is None:
        return
    from lib.request_logs import task_queue

    TASK_DURATION.labels(task.name, task_queue(task)).observe(time.perf_counter() - started)


def _on_task_failure(sender: Any = None, **kwargs: Any) -> None:
    if sender is None:
        return
    from lib.request_logs import task_queue

    TASK_FAILURES.labels(sender.name, task_queue(sender)).inc()


def worker_registry() -> CollectorRegistry:
    """A Celery worker's own metrics (every pool process's, with PROMETHEUS_MULTIPROC_DIR)."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    return registry


def serve_worker_metrics(port: int, token: str) -> Any:
    """Serve the worker's metrics on `port` (all interfaces: the compose network) for
    `Authorization: Bearer <token>` — the task metrics live in the worker's processes, not in
    web's. Returns the server (a daemon thread serves it)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from prometheus_client import CONTENT_TYPE_LATEST

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            if not token_matches(token, self.headers.get("Authorization", "")):
                self.send_error(403)
                return
            body = generate_latest(worker_registry())
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE_LATEST)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)  # noqa: S104 - inside the network
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server


def _on_worker_ready(**kwargs: Any) -> None:
    port, token = os.environ.get("METRICS_PORT", ""), os.environ.get("METRICS_TOKEN", "")
    if not (port and token):
        return
    try:
        serve_worker_metrics(int(port), token)
    except (OSError, ValueError) as exc:
        logger.warning("worker metrics not served on %s: %s", port, exc)


def connect_task_signals() -> None:
    """Called once from config/celery.py."""
    from celery.signals import task_failure, task_postrun, task_prerun, worker_ready

    worker_ready.connect(_on_worker_ready, weak=False, dispatch_uid="sb-metrics-worker")

    task_prerun.connect(_on_task_prerun, weak=False, dispatch_uid="sb-metrics-prerun")
    task_postrun.connect(_on_task_postrun, weak=False, dispatch_uid="sb-metrics-postrun")
    task_failure.connect(_on_task_failure, weak=False, dispatch_uid="sb-metrics-failure")
