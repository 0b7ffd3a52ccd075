"""The conversation list and thread with 100,000 conversations and a million messages on
PostgreSQL (DESIGN.md §8; target: under 100 ms server time at the 95th percentile).

    .venv/bin/python benchmarks/inbox.py [--conversations 100000] [--messages-per 10] [--reuse]
        [--calls 200] [--quiet-wait 600] [--database-url postgres://postgres@127.0.0.1:5432/switchboard_inbox_bench]

Fills a dedicated database with seed_demo (demo users, contacts and inboxes, then
`--conversations N --messages-per M` of bulk volume), emptying the inbox tables first unless
--reuse finds enough conversations. Then it requests the agent workspace's pages through
django.test.Client as the demo agent Anna (a member of both demo inboxes) and times each
client.get: that is the server time of the view, templates included, without the network.
Prints p50/p95/p99/max per page type, the number of queries per page, and EXPLAIN (ANALYZE,
BUFFERS) of the slowest query of each page type. Talks only to a database on this machine
and stops by itself: fixed numbers of calls, a statement timeout, a time budget per page type.
"""

import argparse
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

# Run as a script, Python puts benchmarks/ first on the path, where this file would shadow the
# `inbox` app; the project root goes there instead.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from benchmarks.contacts import (  # noqa: E402 - needs the path above
    LOCAL_HOSTS,
    CpuMeter,
    create_database,
    header,
    percentile,
    row,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/switchboard_inbox_bench"
TARGET_MS = 100.0
STATEMENT_TIMEOUT_MS = 10_000
BUDGET_SECONDS = 180  # per page type
AGENT = "anna@nordlicht.example"
SEARCHES = ("müller", "andersson", "rechnung", "lieferung", "+4915", "zzqx")


def main() -> int:
    args = parse_args()
    parts = urlsplit(args.database_url)
    if parts.scheme not in {"postgres", "postgresql"} or parts.hostname not in LOCAL_HOSTS:
        sys.exit(f"--database-url must name PostgreSQL on this machine, got {args.database_url}")
    database = parts.path.lstrip("/")
    if "bench" not in database:
        sys.exit(f"Refusing to fill {database!r}: the database name must contain 'bench'.")
    create_database(args.database_url, database)
    setup_django(args.database_url)

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    fill(args.conversations, args.messages_per, reuse=args.reuse)
    print("VACUUM ANALYZE …", flush=True)
    with connection.cursor() as cursor:
        for table in ("inbox_conversation", "inbox_message", "inbox_membership", "inbox_readmarker",
                      "contacts_contact", "contacts_identity"):  # fmt: skip
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'),"
            " (SELECT count(*) FROM inbox_conversation), (SELECT count(*) FROM inbox_message),"
            " pg_size_pretty(pg_total_relation_size('inbox_message'))"
        )
        version, buffers, conversations, messages, size = cursor.fetchone()
    print(f"PostgreSQL {version}, shared_buffers {buffers}, {os.cpu_count()} CPUs")
    print(f"{conversations:,} conversations, {messages:,} messages (inbox_message {size})")

    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=AGENT))
    pages = page_plan(client, random.Random(20250612))
    meter = CpuMeter(backend_pid=connection.connection.info.backend_pid)
    meter.wait_for_quiet(limit_seconds=args.quiet_wait)
    results = {}
    for label, urls, htmx in pages:
        results[label] = time_page(client, urls, htmx=htmx, calls=args.calls)
    share = meter.others_share()
    report(results, others=share)
    for label, urls, htmx in pages:
        explain_page(client, label, urls[0], htmx=htmx)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages-per", type=int, default=10)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the conversations there if there are enough"
    )
    parser.add_argument("--calls", type=int, default=200, help="timed requests per page type")
    parser.add_argument(
        "--quiet-wait",
        type=int,
        default=600,
        metavar="SECONDS",
        help="wait at most this long for other processes to leave the CPUs alone",
    )
    return parser.parse_args()


def setup_django(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "true"  # seed_demo runs only with DEBUG (demo passwords)
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = ""
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    # DEBUG records every query in memory and renders debug pages; production does neither.
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    options = connection.settings_dict.setdefault("OPTIONS", {})
    options["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"


def fill(count: int, messages_per: int, *, reuse: bool) -> None:
    from django.core.management import call_command
    from django.db import connection

    from inbox.models import Conversation

    existing = Conversation.objects.count()
    if reuse and existing >= count:
        print(f"Reusing {existing:,} conversations.")
        return
    if existing:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE inbox_conversation RESTART IDENTITY CASCADE")
    started = time.perf_counter()
    call_command(
        "seed_demo", "--force", "--conversations", str(count), "--messages-per", str(messages_per)
    )
    print(f"Filled in {time.perf_counter() - started:.0f} s.", flush=True)


def page_plan(client: Any, rng: random.Random) -> list[tuple[str, list[str], bool]]:
    """(label, URLs to cycle through, as an htmx request) for every page type measured."""
    from django.db.models import Count

    from inbox.models import Conversation, Message

    first = client.get("/inbox/")
    cursors = re.findall(r"after=([\w-]+)", first.content.decode())
    if first.status_code != 200 or not cursors:
        sys.exit(f"/inbox/ answered {first.status_code} without a 'Show more' cursor.")
    sizes = (
        Message.objects.values("conversation_id")
        .annotate(n=Count("id"))
        .filter(n=10)
        .values_list("conversation_id", flat=True)[:500]
    )
    ten = list(Conversation.objects.filter(pk__in=list(sizes)).values_list("id", flat=True))
    longest = (
        Message.objects.values("conversation_id").annotate(n=Count("id")).order_by("-n").first()
    )
    assert longest is not None
    print(f"Longest conversation: {longest['n']} messages; {len(ten)} with exactly ten.")
    return [
        ("list, default", ["/inbox/"], False),
        ("list, unassigned", ["/inbox/?view=unassigned"], False),
        ("list, mine", ["/inbox/?view=mine"], False),
        ("list, search", [f"/inbox/?{urlencode({'q': q})}" for q in SEARCHES], False),
        ("list, page 2 (htmx)", [f"/inbox/?after={cursors[0]}"], True),
        ("thread, 10 messages", [f"/inbox/c/{pk}/" for pk in rng.sample(ten, min(50, len(ten)))],
         False),
        ("thread, longest", [f"/inbox/c/{longest['conversation_id']}/"], False),
    ]  # fmt: skip


def _get(client: Any, url: str, *, htmx: bool) -> Any:
    return client.get(url, headers={"HX-Request": "true"} if htmx else {})


def time_page(client: Any, urls: list[str], *, htmx: bool, calls: int) -> list[float]:
    for url in urls[:5]:  # warm-up: templates, caches, the buffer cache
        _get(client, url, htmx=htmx)
    timings: list[float] = []
    deadline = time.monotonic() + BUDGET_SECONDS
    for call in range(calls):
        if time.monotonic() > deadline:
            print(f"  budget of {BUDGET_SECONDS} s spent after {call} calls")
            break
        url = urls[call % len(urls)]
        started = time.perf_counter()
        response = _get(client, url, htmx=htmx)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
    return timings


def report(results: dict[str, list[float]], *, others: float) -> None:
    header(f"Server time per page (ms); other processes used {others:.0%} of the CPUs meanwhile")
    print(f"  {'':<22} {'n':>5} {'mean':>8} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>9}")
    for label, values in results.items():
        met = "met" if percentile(values, 0.95) < TARGET_MS else "MISSED"
        print(f"{row(label, values)}   p95 < {TARGET_MS:g} ms: {met}")


def explain_page(client: Any, label: str, url: str, *, htmx: bool) -> None:
    """The page's queries with their times, then EXPLAIN (ANALYZE, BUFFERS) of the slowest
    SELECT among them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _get(client, url, htmx=htmx)
    queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    header(f"{label}: {url} — {len(queries)} queries")
    for ms, sql in queries:
        print(f"  {ms:7.2f} ms  {shorten(sql)}")
    selects = [(ms, sql) for ms, sql in queries if sql.lstrip().upper().startswith("SELECT")]
    if not selects:
        return
    _ms, slowest = max(selects)
    print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the slowest:\n{slowest}\n")
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {slowest}")
        print("\n".join(line for (line,) in cursor.fetchall()))


def shorten(sql: str, width: int = 150) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= width else text[: width - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
