"""Web chat visitors through gunicorn on PostgreSQL (issue 14's target: p95 of widget requests
under 200 ms and no lost message with 200 visitors for 3 minutes on this 2-core machine).

    .venv/bin/python benchmarks/webchat.py [--visitors 200] [--seconds 180]
        [--message-every 15] [--page-view-every 30] [--poll 1.0]
        [--workers 3] [--threads 8] [--worker-class gthread]
        [--database-url postgres://postgres@127.0.0.1:5432/switchboard_webchat_bench]
        [--redis-url redis://127.0.0.1:6379/11]

Creates and migrates a dedicated database, adds an inbox with an enabled widget (allowed
origin https://bench.example, journey consent mode) and an agent, flushes the Redis database
named, and starts gunicorn (DEBUG off) on a free local port. Then `--visitors` threads act as
widgets for `--seconds`: each says hello (the chat opened), polls its thread every `--poll`
seconds the way chat.js does (the stamp it got back; 204 while nothing changed), writes a
message about every `--message-every` seconds (a fresh client id each) and, when the journey
endpoint answers, sends a page view about every `--page-view-every` seconds. Every request
carries the headers the iframe sends (visitor token, embedding origin, Referer).

It reports the latency of every kind of widget request (p50, p95, p99, max), the statuses,
and the lost messages: sends that were accepted (200) but are not stored as messages, plus
sends that failed. Talks only to 127.0.0.1 and stops by itself: a time budget, a request
timeout, and gunicorn stopped at the end. The client runs on the same two CPUs as the server;
its own CPU share is printed, since it inflates what it measures.
"""

import argparse
import html
import http.client
import json
import os
import random
import resource
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

# Run as a script, Python puts benchmarks/ first on the path; the project root goes there.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from benchmarks.contacts import LOCAL_HOSTS, create_database, header, percentile  # noqa: E402
from benchmarks.webhooks import (  # noqa: E402
    flush_redis,
    free_port,
    server_environment,
    start_gunicorn,
    stop,
    wait_until_up,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/switchboard_webchat_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
ORIGIN = "https://bench.example"
TARGET_P95_MS = 200.0
REQUEST_TIMEOUT = 30
MAX_SECONDS = 1800
MAX_VISITORS = 1000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=180, help="how long the visitors act")
    parser.add_argument("--message-every", type=float, default=15.0, metavar="SECONDS")
    parser.add_argument("--page-view-every", type=float, default=30.0, metavar="SECONDS")
    parser.add_argument("--poll", type=float, default=1.0, metavar="SECONDS")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="its database is flushed")
    args = parser.parse_args()
    if not 1 <= args.visitors <= MAX_VISITORS or not 1 <= args.seconds <= MAX_SECONDS:
        sys.exit(f"--visitors must be 1 to {MAX_VISITORS} and --seconds 1 to {MAX_SECONDS}")
    return args


def prepare(url: str, redis: str, base: str) -> str:
    """Migrate; one inbox with an agent and an enabled widget. Returns its public id."""
    os.environ.update(server_environment(url, base, redis))
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from inbox.models import Inbox, InboxRole, Membership
    from webchat.models import WebWidget

    call_command("migrate", verbosity=0)
    inbox, _created = Inbox.objects.get_or_create(name="Web chat bench")

    agent = User.objects.filter(email="webchat-bench@nordlicht.example").first()
    if agent is None:
        agent = User.objects.create_user(
            email="webchat-bench@nordlicht.example", password=None, display_name="Bench Agent"
        )
    Membership.objects.get_or_create(inbox=inbox, user=agent, defaults={"role": InboxRole.MEMBER})
    widget, _created = WebWidget.objects.update_or_create(
        inbox=inbox,
        defaults={"enabled": True, "allowed_origins": ORIGIN, "consent_mode": "journey"},
    )
    flush_redis(redis)
    return widget.public_id


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.accepted: list[str] = []
        self.failed_sends = 0

    def add(self, kind: str, ms: float, status: int) -> None:
        with self.lock:
            self.times[kind].append(ms)
            self.statuses[(kind, status)] += 1


class Widget:
    """One visitor's iframe: a keep-alive connection, a token, the stamp of its poller."""

    def __init__(self, number: int, port: int, public_id: str, recorder: Recorder) -> None:
        self.number, self.port, self.public_id, self.recorder = number, port, public_id, recorder
        self.token = uuid.uuid4().hex + uuid.uuid4().hex
        self.query = ""
        self.sent = 0
        self.connection: http.client.HTTPConnection | None = None
        self.base = f"/w/{public_id}"
        self.referer = f"http://127.0.0.1:{port}{self.base}/chat/?origin={ORIGIN}"

    def request(self, kind: str, method: str, path: str, body: bytes = b"", **headers: str):
        headers = {
            "X-Switchboard-Visitor": self.token,
            "X-Switchboard-Embed": ORIGIN,
            "Referer": self.referer,
            "HX-Request": "true",
            **headers,
        }
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT
                )
            started = time.perf_counter()
            try:
                self.connection.request(method, path, body=body or None, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    self.recorder.add(kind, (time.perf_counter() - started) * 1000, 0)
                    return 0, ""
                continue
            self.recorder.add(kind, (time.perf_counter() - started) * 1000, response.status)
            return response.status, text
        return 0, ""

    def form(self, kind: str, path: str, fields: dict[str, str]):
        from urllib.parse import urlencode

        return self.request(
            kind,
            "POST",
            path,
            urlencode(fields).encode(),
            **{"Content-Type": "application/x-www-form-urlencoded"},
        )

    def keep_stamp(self, text: str) -> None:
        """What the new poller asks with (its stamp and time), as htmx would."""
        marker = "/thread/?"
        start = text.find(marker)
        if start >= 0:
            end = text.find('"', start)
            self.query = html.unescape(text[start + len(marker) : end])

    def run(self, args: argparse.Namespace, deadline: float, journey: bool) -> None:
        rng = random.Random(self.number)
        self.form("hello", f"{self.base}/hello/", {})
        self.form("hello", f"{self.base}/hello/", {"consent": "true"})
        next_message = time.monotonic() + rng.uniform(0, args.message_every)
        next_view = time.monotonic() + rng.uniform(0, args.page_view_every)
        while time.monotonic() < deadline:
            status, text = self.request("poll", "GET", f"{self.base}/thread/?{self.query}")
            if status == 200:
                self.keep_stamp(text)
            now = time.monotonic()
            if now >= next_message:
                self.sent += 1
                client_id = f"{self.number}-{self.sent}"
                body = f"Bench visitor {self.number} message {self.sent}"
                status, text = self.form(
                    "send", f"{self.base}/send/", {"body": body, "client_id": client_id}
                )
                with self.recorder.lock:
                    if status == 200:
                        self.recorder.accepted.append(client_id)
                    else:
                        self.recorder.failed_sends += 1
                self.keep_stamp(text)
                next_message = now + rng.expovariate(1 / args.message_every)
            if journey and now >= next_view:
                page = rng.choice(["/", "/schuhe", "/hilfe", "/warenkorb"])
                view = {
                    "url": ORIGIN + page,
                    "title": page,
                    "referrer": "",
                    "at": time.time() * 1000,
                }
                data = {"visitor": self.token, "views": [view], "consent": True}
                self.request(
                    "page view",
                    "POST",
                    f"{self.base}/pv",
                    json.dumps(data).encode(),
                    Origin=ORIGIN,
                    Referer=ORIGIN + page,
                    **{"Content-Type": "text/plain;charset=UTF-8"},
                )
                next_view = now + rng.expovariate(1 / args.page_view_every)
            time.sleep(max(0.0, args.poll - (time.monotonic() - now)))
        if self.connection is not None:
            self.connection.close()


def journey_endpoint_exists(port: int, public_id: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    connection.request("POST", f"/w/{public_id}/pv", body=b"{}", headers={"Origin": ORIGIN})
    status = connection.getresponse().status
    connection.close()
    return status != 404


def lost_messages(accepted: list[str]) -> int:
    from inbox.models import Message

    stored = set(
        Message.objects.filter(provider="web", direction="in").values_list(
            "provider_message_id", flat=True
        )
    )
    # provider_message_id is "<visitor pk>:<client id>"; the client id names the visitor.
    stored_client_ids = {value.split(":", 1)[1] for value in stored if value and ":" in value}
    return sum(1 for client_id in accepted if client_id not in stored_client_ids)


def main() -> int:
    args = parse_args()
    parts = urlsplit(args.database_url)
    if parts.scheme not in {"postgres", "postgresql"} or parts.hostname not in LOCAL_HOSTS:
        sys.exit(f"--database-url must name PostgreSQL on 127.0.0.1, got {args.database_url}")
    if "bench" not in parts.path:
        sys.exit("--database-url must name a database whose name contains 'bench'")
    create_database(args.database_url, parts.path.lstrip("/"))
    port = free_port()
    public_id = prepare(args.database_url, args.redis_url, f"http://127.0.0.1:{port}")
    server = start_gunicorn(args, port)
    try:
        wait_until_up(port, server)
        journey = journey_endpoint_exists(port, public_id)
        recorder = Recorder()
        widgets = [Widget(n, port, public_id, recorder) for n in range(args.visitors)]
        header(
            f"{args.visitors} visitors for {args.seconds} s "
            f"(page views: {'on' if journey else 'no journey endpoint'})"
        )
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [
            threading.Thread(target=w.run, args=(args, deadline, journey), daemon=True)
            for w in widgets
        ]
        for thread in threads:
            thread.start()
            time.sleep(min(0.01, args.poll / max(1, args.visitors)))
        for thread in threads:
            thread.join(timeout=args.seconds + 2 * REQUEST_TIMEOUT)
        elapsed = time.monotonic() - started
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
            cpu_before.ru_utime + cpu_before.ru_stime
        )
        time.sleep(1)
        return report(args, recorder, elapsed, client_cpu)
    finally:
        stop(server)


def report(args: argparse.Namespace, recorder: Recorder, elapsed: float, client_cpu: float) -> int:
    everything = [ms for values in recorder.times.values() for ms in values]
    print(f"{'request':<12} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind, values in sorted(recorder.times.items()):
        p50, p95, p99 = (percentile(values, p) for p in (0.5, 0.95, 0.99))
        print(
            f"{kind:<12} {len(values):>7} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {max(values):>8.1f}"
        )
    p95_all = percentile(everything, 0.95) if everything else float("nan")
    print(f"{'all':<12} {len(everything):>7} {'':>8} {p95_all:>8.1f}")
    print(
        f"requests/s: {len(everything) / elapsed:.0f}; "
        f"client CPU: {client_cpu / elapsed:.0%} of a core"
    )
    print(
        "statuses: " + ", ".join(f"{k} {s}: {n}" for (k, s), n in sorted(recorder.statuses.items()))
    )
    lost = lost_messages(recorder.accepted)
    print(
        f"messages: {len(recorder.accepted)} accepted, {recorder.failed_sends} refused or failed, "
        f"{lost} accepted but not stored"
    )
    ok = p95_all < TARGET_P95_MS and lost == 0 and recorder.failed_sends == 0
    print(f"target p95 < {TARGET_P95_MS:.0f} ms and 0 lost: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
