"""The agent workspace with 100,000 conversations, a million messages and a million contacts
on PostgreSQL: list, thread, search, contact search and the live poll, against the targets of
the inbox performance issue, each also as a ratio to a cheap login-required "floor" page.

    .venv/bin/python benchmarks/inbox.py [--conversations 100000] [--messages-per 10]
        [--contacts 1000000] [--reuse] [--fill-only] [--calls 200] [--match-calls 2000]
        [--quiet-wait 600] [--database-url postgres://postgres@127.0.0.1:5432/switchboard_inbox_bench]

Fills a dedicated database with seed_demo (demo users, contacts and inboxes, then
`--contacts` synthetic contacts and `--conversations N --messages-per M` of bulk volume),
emptying the inbox tables first unless --reuse finds enough conversations. After the bulk fill
one conversation is padded to LONG_THREAD messages and RARE_WORD is planted in a few message
bodies, so that the long thread and a rare word exist whatever the generators do.

Then it requests the workspace's pages through django.test.Client as the demo agent Anna (a
member of both demo inboxes) and times each client.get: the server time of the whole view,
middleware and templates included, without the network. The page types are requested in
rounds, one request of each type per round in a shuffled order, so the floor page shares the
conditions of every other type and the ratios hold. Prints p50/p95/p99/max per page type, the
ratio to the floor, the number of queries per page and met/MISSED against the targets, then
`match_contacts` timings, and finally every query of one request per page type with
EXPLAIN (ANALYZE, BUFFERS) of the slowest SELECT. Everything goes through URLs, so the script
measures whatever the views are when it runs. Talks only to a database on this machine and
stops by itself: fixed numbers of calls, a statement timeout, a time budget.
"""

import argparse
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
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
)
from benchmarks.load import live_state, poller_url  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/switchboard_inbox_bench"
STATEMENT_TIMEOUT_MS = 10_000
BUDGET_SECONDS = 900  # all timed rounds together
AGENT = "anna@nordlicht.example"
# The workspace shell with a three-field form: the cheapest full page behind the log-in.
FLOOR_URL = "/accounts/password/"
LONG_THREAD = 130  # messages in the long conversation
LONG_MARKER = "bench-long-"  # provider_message_id prefix of the padding messages
RARE_WORD = "kulanzantrag"  # planted in RARE_HITS message bodies; the demo texts never use it
RARE_HITS = 25
COMMON_WORDS = ("bestellung", "danke", "rechnung", "paket")
NO_HIT = ("zzqx", "xylophon", "quarzwerk", "ljusstake")
COMMON_SURNAMES = ("müller", "andersson")
# group: (p95 ms, most queries or None); the floor has no target.
TARGETS: dict[str, tuple[float, int | None]] = {
    "list": (30.0, 8),
    "thread": (40.0, 10),
    "search": (60.0, None),
    "contacts": (60.0, None),
    "live": (3.0, 1),
}
MATCH_P99_MS = 5.0
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
SERVER_TIMING = re.compile(r"\bapp;dur=([0-9.]+)")  # what htmx 4 sends for a fragment


@dataclass
class PageType:
    label: str
    group: str  # floor, list, thread, search, contacts, live
    urls: list[str]
    htmx: bool = False
    live: bool = False  # a poll: its URL comes from the poller of the previous answer
    poller: str = ""
    timings: list[float] = field(default_factory=list)
    # The application's own time (its Server-Timing header): the view with the middleware
    # inside lib.request_logs, without the test client's work around the request.
    app_timings: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    def url(self, call: int) -> str:
        url = self.urls[call % len(self.urls)]
        if self.live:  # the poller's hx-get, plus the page's live state (hx-include)
            return f"{self.poller}{'&' if '?' in self.poller else '?'}{url}"
        return url

    def get(self, client: Any, call: int) -> Any:
        url = self.url(call)
        response = client.get(url, headers=HTMX if self.htmx else {})
        # 204: nothing changed, and htmx keeps the poller (with its URL) as it is.
        if response.status_code not in ((200, 204) if self.live else (200,)):
            body = response.content.decode(errors="replace")[:600]
            sys.exit(f"{self.label}: {url} answered {response.status_code}\n{body}")
        if self.live and response.status_code == 200:
            self.poller = poller_url(response.content.decode()) or sys.exit(
                f"The live poll's answer to {url} holds no poller."
            )
        return response


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
    fill(args)
    print("VACUUM ANALYZE …", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")  # VACUUM of a fresh million takes longer
        for table in ("inbox_conversation", "inbox_message", "inbox_membership", "inbox_readmarker",
                      "contacts_contact", "contacts_identity"):  # fmt: skip
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'),"
            " (SELECT count(*) FROM inbox_conversation), (SELECT count(*) FROM inbox_message),"
            " (SELECT count(*) FROM contacts_contact),"
            " pg_size_pretty(pg_total_relation_size('inbox_message'))"
        )
        version, buffers, conversations, messages, contacts, size = cursor.fetchone()
    print(f"PostgreSQL {version}, shared_buffers {buffers}, {os.cpu_count()} CPUs")
    print(f"{conversations:,} conversations, {messages:,} messages (inbox_message {size}),"
          f" {contacts:,} contacts")  # fmt: skip
    if args.fill_only:
        return 0

    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=AGENT))
    pages = page_plan(client, random.Random(20250612))
    meter = CpuMeter(backend_pid=connection.connection.info.backend_pid)
    meter.wait_for_quiet(limit_seconds=args.quiet_wait)
    measure(client, pages, calls=args.calls, rng=random.Random(7))
    share = meter.others_share()
    count_queries(client, pages)
    report(pages, others=share)
    bench_match_contacts(args.match_calls)
    header("Queries of one request per page type, EXPLAIN of its slowest SELECT")
    for page in pages:
        explain_page(client, page)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages-per", type=int, default=10)
    parser.add_argument(
        "--contacts", type=int, default=1_000_000, help="synthetic contacts to top up to"
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the conversations there if there are enough"
    )
    parser.add_argument("--fill-only", action="store_true", help="fill, then stop")
    parser.add_argument("--calls", type=int, default=200, help="timed requests per page type")
    parser.add_argument("--match-calls", type=int, default=2_000, help="match_contacts calls")
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
    # Redis as in production (sessions, stamps and cached rows), on a database of its own;
    # BENCH_REDIS_URL="" measures the in-process cache instead.
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
    os.environ["CELERY_QUEUE"] = "inbox-bench"
    # One agent searches here hundreds of times a minute; the per-user limit (120 a minute)
    # would answer 429 and end the run.
    os.environ.setdefault("SEARCH_RATE_LIMIT", "100000/minute")
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


# --- Fill -----------------------------------------------------------------------------------


def fill(args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.db import connection

    from contacts.models import Contact
    from inbox.models import Conversation

    existing = Conversation.objects.count()
    refill = not (args.reuse and existing >= args.conversations)
    missing_contacts = args.contacts - Contact.objects.count()
    command = ["seed_demo", "--force"]
    if refill:
        if existing:
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE inbox_conversation RESTART IDENTITY CASCADE")
        command += ["--conversations", str(args.conversations)]
        command += ["--messages-per", str(args.messages_per)]
    else:
        print(f"Reusing {existing:,} conversations.")
    if missing_contacts > 0:  # before the conversations: seed_demo runs contacts first
        command += ["--contacts", str(missing_contacts)]
    if len(command) > 2:
        started = time.perf_counter()
        print(" ".join(command), flush=True)
        call_command(*command)
        print(f"Filled in {time.perf_counter() - started:.0f} s.", flush=True)
    ensure_long_thread()
    ensure_rare_word()


def long_conversation_id() -> tuple[int, int]:
    """(id, messages) of the padded long conversation, or of the longest one."""
    from django.db.models import Count

    from inbox.models import Message

    padded = (
        Message.objects.filter(provider_message_id__startswith=LONG_MARKER)
        .values_list("conversation_id", flat=True)
        .first()
    )
    if padded is not None:
        return padded, Message.objects.filter(conversation_id=padded).count()
    longest = (
        Message.objects.values("conversation_id").annotate(n=Count("id")).order_by("-n").first()
    )
    if longest is None:
        sys.exit("There are no messages.")
    return longest["conversation_id"], longest["n"]


def ensure_long_thread() -> None:
    """Pad the longest conversation to LONG_THREAD messages with older ones (the bulk
    generator's longest has about 12 times the mean, which is not always enough)."""
    from datetime import timedelta

    from inbox.models import Conversation, Message

    conversation_id, count = long_conversation_id()
    if count >= LONG_THREAD:
        return
    conversation = Conversation.objects.get(pk=conversation_id)
    first = Message.objects.filter(conversation=conversation).order_by("created_at", "id").first()
    assert first is not None
    bodies = list(
        Message.objects.filter(conversation=conversation).values_list("direction", "body", "author")
    )
    padding = []
    for n in range(LONG_THREAD - count):
        direction, body, author = bodies[n % len(bodies)]
        padding.append(
            Message(
                conversation=conversation,
                direction=direction,
                body=body,
                author_id=author,
                provider="demo",
                provider_message_id=f"{LONG_MARKER}{conversation_id}-{n}",
                status="received" if direction == "in" else "delivered",
                created_at=first.created_at - timedelta(minutes=30 * (LONG_THREAD - count - n)),
            )
        )
    Message.objects.bulk_create(padding)
    Conversation.objects.filter(pk=conversation_id).update(created_at=padding[0].created_at)
    print(f"Padded conversation {conversation_id} from {count} to {LONG_THREAD} messages.")


def ensure_rare_word() -> None:
    """RARE_WORD in RARE_HITS message bodies: every bulk text is one of some 80 demo turns,
    so no word of them is rare."""
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    from benchmarks.contacts import random_ids
    from inbox.models import Message

    have = Message.objects.filter(body__icontains=RARE_WORD).count()
    if have >= RARE_HITS:
        return
    ids = random_ids(random.Random(4711), Message, RARE_HITS - have)
    Message.objects.filter(pk__in=ids).update(
        body=Concat(F("body"), Value(f" (Kulanzantrag KA-{4711})"))
    )
    print(f"Planted {RARE_WORD!r} in {Message.objects.filter(body__icontains=RARE_WORD).count()}"
          " message bodies.")  # fmt: skip


# --- What is measured -----------------------------------------------------------------------


def page_plan(client: Any, rng: random.Random) -> list[PageType]:
    from django.db.models import Count

    from benchmarks.contacts import search_queries
    from inbox.models import Conversation, Message

    first = client.get("/inbox/")
    content = first.content.decode()
    cursors = re.findall(r"after=([\w-]+)", content)
    if first.status_code != 200 or not cursors:
        sys.exit(f"/inbox/ answered {first.status_code} without a 'Show more' cursor.")
    sizes = (
        Message.objects.values("conversation_id")
        .annotate(n=Count("id"))
        .filter(n=10)
        .values_list("conversation_id", flat=True)[:500]
    )
    ten = sorted(Conversation.objects.filter(pk__in=list(sizes)).values_list("id", flat=True))
    if not ten:
        sys.exit("No conversation has exactly ten messages.")
    long_id, long_count = long_conversation_id()
    print(f"Long conversation {long_id}: {long_count} messages; {len(ten)} with exactly ten.")
    threads = [f"/inbox/c/{pk}/" for pk in rng.sample(ten, min(50, len(ten)))]

    # Contact names of conversations (mostly rare surnames), and two common surnames.
    with_contacts = Conversation.objects.exclude(contact__last_name="").filter(
        contact__isnull=False
    )
    names = list(with_contacts.order_by("?").values_list("contact__last_name", flat=True)[:40])
    names = sorted({name.lower() for name in names if len(name) >= 3})[:10] + list(COMMON_SURNAMES)

    def searches(terms: Any) -> list[str]:
        return [f"/inbox/?{urlencode({'q': term})}" for term in terms]

    pools = search_queries(rng)
    contact_terms = [term for terms in pools.values() for term in terms[:5]]
    rng.shuffle(contact_terms)
    contact_urls = [f"/contacts/?{urlencode({'q': term})}" for term in contact_terms]

    # The live state and the poller as the browser has them with a conversation open.
    page = client.get(f"/inbox/c/{ten[0]}/").content.decode()
    poller = poller_url(page) or sys.exit("The conversation page holds no live poller.")
    live = PageType("live poll, nothing changed", "live", [urlencode(live_state(page))],
                    htmx=True, live=True, poller=poller)  # fmt: skip
    long_url = [f"/inbox/c/{long_id}/"]
    return [
        PageType("floor (password page)", "floor", [FLOOR_URL]),
        PageType("list, all", "list", ["/inbox/"]),
        PageType("list, unassigned", "list", ["/inbox/?view=unassigned"]),
        PageType("list, mine", "list", ["/inbox/?view=mine"]),
        PageType("list, page 2 (htmx)", "list", [f"/inbox/?after={cursors[0]}"], htmx=True),
        PageType("thread 10, full page", "thread", threads),
        PageType("thread 10, htmx", "thread", threads, htmx=True),
        PageType(f"thread {long_count}, full page", "thread", long_url),
        PageType(f"thread {long_count}, htmx", "thread", long_url, htmx=True),
        PageType("search, contact name", "search", searches(names)),
        PageType("search, rare word", "search", searches([RARE_WORD])),
        PageType("search, common word", "search", searches(COMMON_WORDS)),
        PageType("search, no hit", "search", searches(NO_HIT)),
        PageType("contact search page", "contacts", contact_urls),
        live,
    ]


def measure(client: Any, pages: list[PageType], *, calls: int, rng: random.Random) -> None:
    """`calls` rounds, each requesting every page type once in a shuffled order."""
    for page in pages:  # warm-up: templates, caches, the buffer cache
        for call in range(min(5, len(page.urls))):
            page.get(client, call)
    order = list(pages)
    deadline = time.monotonic() + BUDGET_SECONDS
    print(f"Timing {calls} rounds of {len(pages)} page types …", flush=True)
    for call in range(calls):
        if time.monotonic() > deadline:
            print(f"  budget of {BUDGET_SECONDS} s spent after {call} rounds")
            break
        rng.shuffle(order)
        for page in order:
            started = time.perf_counter()
            response = page.get(client, call)
            page.timings.append((time.perf_counter() - started) * 1000)
            app = SERVER_TIMING.search(response.headers.get("Server-Timing", ""))
            if app:
                page.app_timings.append(float(app.group(1)))


def count_queries(client: Any, pages: list[PageType]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for page in pages:
        for call in range(min(3, len(page.urls))):
            with CaptureQueriesContext(connection) as captured:
                page.get(client, call)
            page.queries.append(len(captured.captured_queries))


def report(pages: list[PageType], *, others: float) -> None:
    floor = next(page for page in pages if page.group == "floor")
    floor50, floor95 = percentile(floor.timings, 0.50), percentile(floor.timings, 0.95)
    header(
        f"Server time per page type (ms), interleaved rounds; floor = {FLOOR_URL};"
        f" other processes used {others:.0%} of the CPUs meanwhile"
    )
    print(f"  {'':<28} {'n':>4} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}"
          f" {'p50/fl':>6} {'p95/fl':>6} {'queries':>7} {'app p50':>7} {'app p95':>7}"
          f"   target (on the client's p95; live poll: the app's)")  # fmt: skip
    for page in pages:
        p50, p95, p99 = (percentile(page.timings, p) for p in (0.50, 0.95, 0.99))
        app50, app95 = (
            (percentile(page.app_timings, p) for p in (0.50, 0.95))
            if page.app_timings
            else (float("nan"), float("nan"))
        )
        low, high = min(page.queries), max(page.queries)
        queries = str(low) if low == high else f"{low}-{high}"
        verdict = ""
        if page.group in TARGETS:
            target_ms, most = TARGETS[page.group]
            # The idle poll's target is server time: 3 ms is about what the test client
            # itself takes around a request.
            judged = app95 if page.group == "live" else p95
            verdict = f"p95 ≤ {target_ms:g} ms: {'met' if judged <= target_ms else 'MISSED'}"
            if most is not None:
                verdict += f"; ≤ {most} queries: {'met' if high <= most else 'MISSED'}"
        print(f"  {page.label:<28} {len(page.timings):>4} {p50:>7.1f} {p95:>7.1f} {p99:>7.1f}"
              f" {max(page.timings):>7.1f} {p50 / floor50:>6.1f} {p95 / floor95:>6.1f}"
              f" {queries:>7} {app50:>7.1f} {app95:>7.1f}   {verdict}")  # fmt: skip


def bench_match_contacts(calls: int) -> list[float] | None:
    """match_contacts for inbound addresses, as benchmarks/contacts.py measures it."""
    from benchmarks.contacts import bench_matching

    try:
        timings = bench_matching(random.Random(20250601), calls=calls)
    except (ImportError, AttributeError, TypeError) as exc:
        print(f"\nmatch_contacts not measured: {exc!r}")
        return None
    values = [value for values in timings.values() for value in values]
    p50, p95, p99 = (percentile(values, p) for p in (0.50, 0.95, 0.99))
    met = "met" if p99 <= MATCH_P99_MS else "MISSED"
    header(f"match_contacts, {len(values)} calls (ms)")
    print(f"  p50 {p50:.2f}  p95 {p95:.2f}  p99 {p99:.2f}  max {max(values):.2f}"
          f"   p99 ≤ {MATCH_P99_MS:g} ms: {met}")  # fmt: skip
    return values


def explain_page(client: Any, page: PageType) -> None:
    """The page's queries with their times, then EXPLAIN (ANALYZE, BUFFERS) of the slowest
    SELECT among them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = page.url(0)
    with CaptureQueriesContext(connection) as captured:
        page.get(client, 0)
    queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    header(f"{page.label}: {url[:120]} — {len(queries)} queries")
    for ms, sql in queries:
        print(f"  {ms:7.2f} ms  {shorten(sql)}")
    selects = [(ms, sql) for ms, sql in queries if sql.lstrip().upper().startswith("SELECT")]
    if not selects:
        return
    _ms, slowest = max(selects)
    print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the slowest:\n{shorten(slowest, 2000)}\n")
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {slowest}")
        print("\n".join(line for (line,) in cursor.fetchall()))


def shorten(sql: str, width: int = 150) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= width else text[: width - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
