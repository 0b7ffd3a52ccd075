"""The REST API through gunicorn on PostgreSQL (issue 12): batch upsert of 100,000 contacts
(100 calls of 1,000, target ≥ 2,000 contacts/s) and contact list pages at 1M contacts with
cursor pagination (target p95 ≤ 30 ms), each beside a cheap floor request of the same run.

    .venv/bin/python benchmarks/api.py [--contacts 1000000] [--reuse]
        [--batches 100] [--batch-size 1000] [--pages 300] [--floor 300]
        [--workers 2] [--threads 2] [--worker-class gthread]
        [--database-url postgres://postgres@127.0.0.1:5432/switchboard_bench]

Creates and migrates the dedicated database (its name must contain "bench"; the default is
the contacts benchmark's, so its million contacts are reused with --reuse) and fills it with
seed_demo's synthetic contacts (demo.synthetic_contacts) unless --reuse finds enough. Starts
gunicorn (DEBUG off, rate limits in memory) on a free local port, creates an API token with
contacts:read, contacts:write and attributes:write_crm, and then, over one keep-alive
connection:

1. **floor**: `GET /api/v1/attribute-definitions` — the whole gateway (token, language, rate
   limit, last use) around a cached list of a dozen rows: what every API request costs;
2. **batch**: `--batches` POSTs of `--batch-size` new contacts each (external id, e-mail,
   phone, names, a custom attribute, two tags); contacts/s over the wall time, and the
   latency of one call;
3. **list pages**: `GET /api/v1/contacts?limit=50&updated_since=…` from random points of the
   (updated_at, id) order, following `next` for 4 more pages each, p50/p95/p99.

Prints each with its ratio to the floor, and the CPU share other processes took meanwhile.
Talks only to 127.0.0.1 and stops by itself: fixed numbers of requests, request timeouts.
"""

import argparse
import http.client
import json
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

# Run as a script, Python puts benchmarks/ first on the path; the project root goes there.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from benchmarks.contacts import (  # noqa: E402 - needs the path above
    LOCAL_HOSTS,
    CpuMeter,
    create_database,
    fill,
    header,
    percentile,
)
from benchmarks.webhooks import (  # noqa: E402
    free_port,
    server_environment,
    start_gunicorn,
    stop,
    wait_until_up,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/switchboard_bench"
BATCH_TARGET_PER_SECOND, LIST_TARGET_MS = 2_000, 30.0
TIMEOUT = 120
PAGE_SIZE, PAGES_PER_WALK = 50, 5


def main() -> int:
    args = parse_args()
    parts = urlsplit(args.database_url)
    if parts.scheme not in {"postgres", "postgresql"} or parts.hostname not in LOCAL_HOSTS:
        sys.exit(f"--database-url must name PostgreSQL on this machine, got {args.database_url}")
    database = parts.path.lstrip("/")
    if "bench" not in database:
        sys.exit(f"Refusing to fill {database!r}: the database name must contain 'bench'.")
    create_database(args.database_url, database)
    port = free_port()
    os.environ.update(server_environment(args.database_url, f"http://127.0.0.1:{port}"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    fill(args.contacts, reuse=args.reuse)
    token = prepare()
    with connection.cursor() as cursor:
        for name in ("contacts_contact", "contacts_identity"):
            cursor.execute(f"VACUUM ANALYZE {name}")
        cursor.execute("SELECT current_setting('server_version'), count(*) FROM contacts_contact")
        version, contacts = cursor.fetchone()
    print(f"PostgreSQL {version}, {contacts:,} contacts, {os.cpu_count()} CPUs", flush=True)

    server = start_gunicorn(args, port)
    try:
        wait_until_up(port, server)
        meter = CpuMeter(backend_pid=connection.connection.info.backend_pid)
        meter.wait_for_quiet(limit_seconds=args.quiet_wait)
        client = Client(port, token)
        floor = [client.timed("GET", "/api/v1/attribute-definitions") for _ in range(args.floor)]
        floor_share = meter.others_share()
        batches, elapsed = bench_batches(client, args)
        batch_share = meter.others_share()
        pages = bench_pages(client, args)
        pages_share = meter.others_share()
    finally:
        stop(server)
    return report(args, floor, batches, elapsed, pages, (floor_share, batch_share, pages_share))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=1_000)
    parser.add_argument("--pages", type=int, default=300, help="list pages to time")
    parser.add_argument("--floor", type=int, default=300, help="floor requests to time")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--quiet-wait", type=int, default=120)
    args = parser.parse_args()
    args.redis_url = ""  # rate limits in memory: nothing here needs Redis
    return args


def prepare() -> str:
    """The benchmark's admin, a CRM-owned attribute and a fresh token (rate limit lifted)."""
    from accounts.models import Role, User
    from api.actions import create_token
    from contacts.attributes import ensure_builtin_definitions
    from contacts.models import AttributeDefinition

    ensure_builtin_definitions()
    AttributeDefinition.objects.get_or_create(
        key="bench_tier",
        defaults={"label": "Tier", "type": "choice", "choices": ["gold", "silver"], "owner": "crm"},
    )
    user, _ = User.objects.get_or_create(
        email="bench-admin@nordlicht.example",
        defaults={"display_name": "Bench Admin", "role": Role.ADMIN},
    )
    return create_token(
        name="Benchmark CRM",
        scopes=["contacts:read", "contacts:write", "attributes:write_crm"],
        inboxes=[],
        expires_at=None,
        actor=user,
        rate_limit=1_000_000,
    ).plaintext


class Client:
    """One keep-alive connection to gunicorn that sends the token."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)

    def send(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        data = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=data, headers=self.headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            # gunicorn closed an idle keep-alive connection: once more on a new one.
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
            started = time.perf_counter()
            self.connection.request(method, path, body=data, headers=self.headers)
            response = self.connection.getresponse()
        content = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        return response.status, json.loads(content) if content else None, elapsed

    def timed(self, method: str, path: str, body: Any = None, *, expect: int = 200) -> float:
        status, answer, elapsed = self.send(method, path, body)
        if status != expect:
            sys.exit(f"{method} {path}: {status} {str(answer)[:300]}")
        return elapsed


def bench_batches(client: Client, args: argparse.Namespace) -> tuple[list[float], float]:
    run = int(time.time())
    # German mobile ranges the synthetic contacts never use (demo.synthetic_contacts takes
    # 0151/2/7/9 and 0176-9), with the run in the number, so no run meets an earlier one.
    prefix = ("160", "162", "163", "170", "171", "172", "173", "174", "175")[run % 9]
    timings: list[float] = []
    started = time.perf_counter()
    for batch in range(args.batches):
        items = []
        for i in range(args.batch_size):
            n = batch * args.batch_size + i
            items.append(
                {
                    "ref": str(n),
                    "external_id": f"{run}-{n}",
                    "source_system": "bench",
                    "email": f"bench-{run}-{n}@example.org",
                    "phone": f"+49{prefix}{run % 100:02d}{n:06d}",
                    "first_name": f"Bench {n}",
                    "last_name": "Kontakt",
                    "company": f"Firma {n % 500}",
                    "attributes": {"bench_tier": ("gold", "silver")[n % 2]},
                    "tags": ["bench", f"bench-{n % 10}"],
                }
            )
        status, answer, elapsed = client.send("POST", "/api/v1/contacts/batch", {"items": items})
        if status != 200 or answer["counts"]["error"]:
            errors = [r for r in (answer or {}).get("results", []) if r["errors"]][:3]
            sys.exit(f"batch {batch}: {status} {errors or str(answer)[:500]}")
        timings.append(elapsed)
    return timings, time.perf_counter() - started


def bench_pages(client: Client, args: argparse.Namespace) -> list[float]:
    from django.db.models import Max, Min

    from contacts.models import Contact

    bounds = Contact.objects.aggregate(low=Min("updated_at"), high=Max("updated_at"))
    span = (bounds["high"] - bounds["low"]).total_seconds()
    rng = random.Random(20261201)
    timings: list[float] = []
    while len(timings) < args.pages:
        since = bounds["low"] + timedelta(seconds=rng.uniform(0, span * 0.98))
        path = "/api/v1/contacts?" + urlencode(
            {"limit": PAGE_SIZE, "updated_since": since.isoformat()}
        )
        for _ in range(PAGES_PER_WALK):
            status, answer, elapsed = client.send("GET", path)
            if status != 200:
                sys.exit(f"GET {path}: {status} {str(answer)[:300]}")
            timings.append(elapsed)
            if not answer.get("next"):
                break
            parts = urlsplit(answer["next"])
            path = parts.path + (f"?{parts.query}" if parts.query else "")
    return timings[: args.pages]


def line(label: str, values: list[float], floor_p50: float) -> str:
    p50, p95, p99 = (percentile(values, share) for share in (0.5, 0.95, 0.99))
    return (
        f"| {label} | {len(values)} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {max(values):.1f} "
        f"| {p50 / floor_p50:.1f} |"
    )


def report(
    args: argparse.Namespace,
    floor: list[float],
    batches: list[float],
    elapsed: float,
    pages: list[float],
    shares: tuple[float, float, float],
) -> int:
    floor_p50 = percentile(floor, 0.5)
    created = args.batches * args.batch_size
    rate = created / elapsed
    pages_p95 = percentile(pages, 0.95)
    header("API through gunicorn (ms)")
    print("| request | n | p50 | p95 | p99 | max | p50 ÷ floor |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(line("floor `GET /api/v1/attribute-definitions`", floor, floor_p50))
    print(line(f"`POST /api/v1/contacts/batch` of {args.batch_size}", batches, floor_p50))
    print(line(f"`GET /api/v1/contacts?limit={PAGE_SIZE}` (cursor)", pages, floor_p50))
    print()
    batch_met = "met" if rate >= BATCH_TARGET_PER_SECOND else "NOT met"
    pages_met = "met" if pages_p95 <= LIST_TARGET_MS else "NOT met"
    print(
        f"Batch upsert: {created:,} contacts in {elapsed:.1f} s = {rate:,.0f} contacts/s "
        f"(target ≥ {BATCH_TARGET_PER_SECOND:,}: {batch_met})"
    )
    print(f"List pages p95 {pages_p95:.1f} ms (target ≤ {LIST_TARGET_MS:.0f} ms: {pages_met})")
    print(
        "Other processes' share of the CPUs: floor {:.0%}, batch {:.0%}, pages {:.0%}".format(
            *shares
        )
    )
    return 0 if rate >= BATCH_TARGET_PER_SECOND and pages_p95 <= LIST_TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
