"""Outbound webhook fan-out on PostgreSQL and Redis with a real Celery worker: 10,000 events
to 3 endpoints (local receivers), with nothing lost and nothing delivered twice (issue 12).

    .venv/bin/python benchmarks/webhooks_fanout.py [--events 10000] [--endpoints 3]
        [--concurrency 16] [--limit-seconds 900]
        [--database-url postgres://postgres@127.0.0.1:5432/switchboard_webhooks_bench]
        [--redis-url redis://127.0.0.1:6379/8]

1. Creates and migrates a dedicated database (the name must contain "bench"), empties the
   webhook tables, and starts `--endpoints` receivers (threaded HTTP servers on 127.0.0.1 in
   this process, answering 204 and recording each request's webhook-id).
2. Writes `--events` events through `lib.events.emit` — the path every action takes — in
   transactions of 500: one event row and one delivery row per endpoint each. Timed.
3. Starts `celery -A config worker -Q <webhooks queue> --pool=threads` (the production
   concurrency model for I/O-bound sending) on a private Redis database, and runs the beat's
   tick (`webhooks.tasks.tick`, published once a second, as beat does). Times from the first
   tick until every delivery is `succeeded`.
4. Checks: every receiver got exactly `--events` requests, with no webhook-id twice, and
   every delivery row succeeded. Exit status 1 when anything was lost or duplicated.

Talks only to 127.0.0.1 and stops by itself within `--limit-seconds`. Not collected by
pytest (testpaths = ["tests"]).
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

# Run as a script, Python puts benchmarks/ first on the path; the project root goes there.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from benchmarks.contacts import LOCAL_HOSTS, create_database  # noqa: E402 - needs the path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/switchboard_webhooks_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"
QUEUE = "switchboard-webhooks-bench"
START_LIMIT_SECONDS = 90
CHUNK = 500


class Receiver:
    """One endpoint: counts webhook-ids, answers 204 at once."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.ids[self.headers.get("webhook-id", "")] += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    @property
    def received(self) -> int:
        with self.lock:
            return sum(self.ids.values())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16, help="worker threads")
    parser.add_argument("--limit-seconds", type=int, default=900)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="its database is flushed")
    return parser.parse_args()


def environment(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "benchmark-only-not-a-secret",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CELERY_QUEUE": QUEUE,
        "ALLOWED_HOSTS": "127.0.0.1",
        "PUBLIC_BASE_URL": "http://127.0.0.1:9",
        "WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "true",  # the receivers are on 127.0.0.1
        "LOG_LEVEL": "INFO",  # the worker says " ready." at INFO
    }


def start_worker(args: argparse.Namespace, log: Path) -> subprocess.Popen[bytes]:
    command = [
        str(ROOT / ".venv" / "bin" / "celery"),
        "-A",
        "config",
        "worker",
        "-Q",
        f"{QUEUE}.webhooks",
        "--pool=threads",
        f"--concurrency={args.concurrency}",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        "--loglevel=INFO",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own venv
            command,
            cwd=ROOT,
            env=dict(os.environ),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_LIMIT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"The worker exited with {process.returncode}; see {log}")
        if " ready." in log.read_text(errors="replace"):
            return process
        time.sleep(0.2)
    stop(process)
    sys.exit(f"The worker was not ready within {START_LIMIT_SECONDS} s; see {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def main() -> int:
    args = parse_args()
    parts, redis_parts = urlsplit(args.database_url), urlsplit(args.redis_url)
    if parts.scheme not in {"postgres", "postgresql"} or parts.hostname not in LOCAL_HOSTS:
        sys.exit(f"--database-url must name PostgreSQL on this machine, got {args.database_url}")
    if redis_parts.scheme != "redis" or redis_parts.hostname not in LOCAL_HOSTS:
        sys.exit(f"--redis-url must name Redis on this machine, got {args.redis_url}")
    database = parts.path.lstrip("/")
    if "bench" not in database:
        sys.exit(f"Refusing to use {database!r}: the database name must contain 'bench'.")
    create_database(args.database_url, database)
    os.environ.update(environment(args))
    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import transaction

    from accounts.models import Organisation, Role, User
    from lib.events import emit
    from webhooks import actions
    from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
    from webhooks.tasks import tick

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(args.redis_url).flushdb()
    WebhookDelivery.objects.all().delete()
    WebhookEvent.objects.all().delete()
    WebhookEndpoint.objects.all().delete()
    Organisation.load()
    admin, _ = User.objects.get_or_create(
        email="bench-admin@nordlicht.example",
        defaults={"display_name": "Bench Admin", "role": Role.ADMIN},
    )
    receivers = [Receiver() for _ in range(args.endpoints)]
    for n, receiver in enumerate(receivers):
        actions.create_endpoint(
            url=receiver.url,
            description=f"bench {n}",
            event_types=["*"],
            include_personal_data=False,
            actor=admin,
        )

    started = time.monotonic()
    for start in range(0, args.events, CHUNK):
        with transaction.atomic():
            for n in range(start, min(start + CHUNK, args.events)):
                emit(Organisation.SINGLETON_ID, "webhook.test", {"n": n})
    written = time.monotonic() - started
    expected = args.events * args.endpoints
    assert WebhookDelivery.objects.count() == expected, "the outbox is missing rows"
    print(
        f"Outbox: {args.events:,} events, {expected:,} deliveries written in {written:.1f} s "
        f"({args.events / written:,.0f} events/s, through lib.events.emit)",
        flush=True,
    )

    work = Path(tempfile.mkdtemp(prefix="webhooks-bench-"))
    worker = start_worker(args, work / "worker.log")
    try:
        started = time.monotonic()
        deadline = started + args.limit_seconds
        succeeded = 0
        while time.monotonic() < deadline:
            tick.delay()  # what beat publishes every second (the nudges were published too)
            time.sleep(1.0)
            succeeded = WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count()
            print(
                f"  {time.monotonic() - started:6.1f} s: {succeeded:,} / {expected:,}", flush=True
            )
            if succeeded == expected:
                break
        elapsed = time.monotonic() - started
    finally:
        stop(worker)

    time.sleep(0.5)
    received = [receiver.received for receiver in receivers]
    duplicates = [sum(c - 1 for c in r.ids.values() if c > 1) for r in receivers]
    other = WebhookDelivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).count()
    print()
    print(
        f"Delivered: {succeeded:,} of {expected:,} in {elapsed:.1f} s "
        f"({succeeded / elapsed:,.0f} deliveries/s, {args.concurrency} worker threads)"
    )
    for n, (count, dups) in enumerate(zip(received, duplicates, strict=True)):
        print(
            f"  receiver {n}: {count:,} requests, {len(receivers[n].ids):,} distinct "
            f"webhook-ids, {dups} duplicates"
        )
    lost = expected - sum(len(r.ids) for r in receivers)
    ok = lost == 0 and not any(duplicates) and other == 0 and sum(received) == expected
    print(f"Lost: {lost}; not succeeded: {other}; result: {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
