"""Contact matching and search with a million contacts on PostgreSQL (DESIGN.md §8).

    .venv/bin/python benchmarks/contacts.py [--contacts 1000000] [--reuse] [--statistics N]
        [--database-url postgres://postgres@127.0.0.1:5432/switchboard_bench]

Fills a dedicated database with seed_demo's synthetic contacts (emptying it first unless
--reuse finds enough), then times what the product runs: `match_contacts` for inbound
addresses and the contacts list page's search, and prints p50/p95/p99/max per kind of query
plus EXPLAIN (ANALYZE, BUFFERS) of one query of each kind, and a known worst case of the
search plan. Shared identifiers (contacts.sharing): --shared N landlines are given to two
more contacts each (three holders), then matched on their own, target p99 < 5 ms. Talks
only to a database on this machine, and stops by itself: fixed numbers of calls, a statement
timeout, time budgets.
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# Run as a script, Python puts benchmarks/ first on the path, where this file would shadow the
# `contacts` app; the project root goes there instead.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/switchboard_bench"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
MATCH_TARGET_MS, SEARCH_TARGET_MS = 5.0, 150.0
STATEMENT_TIMEOUT = "10s"
SEARCH_BUDGET_SECONDS = 600


def main() -> int:
    args = parse_args()
    url = args.database_url
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"} or parts.hostname not in LOCAL_HOSTS:
        sys.exit(f"--database-url must name PostgreSQL on this machine (127.0.0.1), got {url}")
    database = parts.path.lstrip("/")
    if "bench" not in database:
        sys.exit(f"Refusing to fill {database!r}: the database name must contain 'bench'.")
    create_database(url, database)
    setup_django(url)

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    fill(args.contacts, reuse=args.reuse)
    print("VACUUM ANALYZE …", flush=True)
    with connection.cursor() as cursor:
        if args.statistics is not None:
            cursor.execute(
                "ALTER TABLE contacts_contact ALTER COLUMN search_text"
                f" SET STATISTICS {int(args.statistics)}"
            )
        for name in ("contacts_contact", "contacts_identity", "contacts_contact_tags"):
            cursor.execute(f"VACUUM ANALYZE {name}")
        cursor.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'),"
            " (SELECT attstattarget FROM pg_attribute"
            "  WHERE attrelid = 'contacts_contact'::regclass AND attname = 'search_text')"
        )
        version, shared_buffers, target = cursor.fetchone()
    print(f"PostgreSQL {version}, shared_buffers {shared_buffers}, {os.cpu_count()} CPUs")
    print(f"Statistics target of search_text: {'default (100)' if target < 0 else target}")

    rng = random.Random(20250601)
    user = bench_admin()
    meter = CpuMeter(backend_pid=connection.connection.info.backend_pid)
    meter.wait_for_quiet()
    matching = bench_matching(rng, calls=args.match_calls)
    matching_share = meter.others_share()
    shared = bench_shared_matching(rng, landlines=args.shared, calls=args.match_calls // 4)
    shared_share = meter.others_share()
    searching = bench_search(rng, user=user, calls=args.search_calls)
    searching_share = meter.others_share()
    table("match_contacts", matching, MATCH_TARGET_MS, others=matching_share)
    table("match_contacts, shared", shared, MATCH_TARGET_MS, others=shared_share, at=0.99)
    table("contact search, first page of 50", searching, SEARCH_TARGET_MS, others=searching_share)
    probe_misestimates(user)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the contacts already there if there are enough"
    )
    parser.add_argument(
        "--statistics",
        type=int,
        metavar="N",
        help="set the statistics target of contacts_contact.search_text (-1: default) first",
    )
    parser.add_argument("--match-calls", type=int, default=2_000)
    parser.add_argument(
        "--shared", type=int, default=500, help="landlines shared by three contacts each"
    )
    parser.add_argument("--search-calls", type=int, default=300)
    return parser.parse_args()


def create_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    maintenance = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.")


def setup_django(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "true"
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = ""  # nothing here needs Redis; tasks would run in-process
    import django

    django.setup()
    from django.conf import settings

    # DEBUG records every query in memory; production does not, so neither does the benchmark.
    settings.DEBUG = False


def fill(count: int, *, reuse: bool) -> None:
    from django.core.management.base import OutputWrapper
    from django.db import connection

    from contacts.models import Contact, Identity
    from demo.synthetic_contacts import generate_contacts

    existing = Contact.objects.count()
    if reuse and existing >= count:
        print(f"Reusing {existing:,} contacts with {Identity.objects.count():,} identities.")
        return
    if not reuse and existing:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE contacts_contact RESTART IDENTITY CASCADE")
        existing = 0
    started = time.perf_counter()
    generate_contacts(count - existing, stdout=OutputWrapper(sys.stdout))
    elapsed = time.perf_counter() - started
    print(f"Filled in {elapsed:.0f} s: {Identity.objects.count():,} identities.", flush=True)


def bench_admin() -> Any:
    from accounts.models import Role, User

    user, _created = User.objects.get_or_create(
        email="bench-admin@nordlicht.example",
        defaults={"display_name": "Bench Admin", "role": Role.ADMIN},
    )
    return user


# --- Matching -------------------------------------------------------------------------------


def bench_matching(rng: random.Random, *, calls: int) -> dict[str, list[float]]:
    from contacts.matching import match_contacts

    cases = matching_cases(rng, calls)
    for _label, channel, address in cases[:100]:  # warm-up: phonenumbers metadata, caches
        match_contacts(channel, address)
    timings: dict[str, list[float]] = defaultdict(list)
    for label, channel, address in cases:
        started = time.perf_counter()
        match_contacts(channel, address)
        timings[label].append((time.perf_counter() - started) * 1000)
    explain_matching(cases)
    return timings


def bench_shared_matching(
    rng: random.Random, *, landlines: int, calls: int
) -> dict[str, list[float]]:
    """Give `landlines` phone numbers to two more contacts each, marked shared as "Share it"
    does (contacts.sharing), then time matching them: several contacts, one query."""
    from contacts.matching import match_contacts
    from contacts.models import Identity

    numbers = share_landlines(rng, landlines)
    cases = [rng.choice(numbers) for _ in range(calls)]
    for number in cases[:50]:
        match_contacts("sms", number)
    timings: dict[str, list[float]] = defaultdict(list)
    for number in cases:
        started = time.perf_counter()
        found = match_contacts("sms", number)
        timings["sms, shared by 3"].append((time.perf_counter() - started) * 1000)
        assert found.state == "several", number
    lookup = Identity.objects.filter(
        kind__in=["phone", "whatsapp"], normalised=cases[0], contact__merged_into__isnull=True
    ).select_related("contact")
    header(f"EXPLAIN matching a shared landline {cases[0]!r}")
    print(lookup.explain(analyze=True, buffers=True))
    return timings


def share_landlines(rng: random.Random, count: int) -> list[str]:
    """`count` existing phone numbers, each held by three contacts now (idempotent: a
    --reuse run finds the ones it shared before)."""
    from django.db import connection

    from contacts.models import Contact, Identity

    already = list(
        Identity.objects.filter(kind="phone", shared=True)
        .values_list("normalised", flat=True)
        .distinct()[:count]
    )
    if len(already) >= count:
        return already
    owners = list(
        Identity.objects.filter(
            kind="phone", shared=False, id__in=random_ids(rng, Identity, count * 3)
        )[:count]
    )
    contact_ids = random_ids(rng, Contact, len(owners) * 2)
    rows = []
    for n, owner in enumerate(owners):
        for contact_id in contact_ids[2 * n : 2 * n + 2]:
            if contact_id != owner.contact_id:
                rows.append(
                    Identity(
                        contact_id=contact_id,
                        kind="phone",
                        value=owner.value,
                        normalised=owner.normalised,
                        source="agent",
                        shared=True,
                    )
                )
    Identity.objects.filter(pk__in=[o.pk for o in owners]).update(shared=True)
    Identity.objects.bulk_create(rows, ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_identity")
    return already + [owner.normalised for owner in owners]


def matching_cases(rng: random.Random, calls: int) -> list[tuple[str, str, str]]:
    """(label, channel, address as it arrives) for existing and unknown addresses."""
    import phonenumbers

    from contacts.models import Identity

    identities = sample_identities(rng, calls * 2)
    by_kind: dict[str, list[Identity]] = defaultdict(list)
    for identity in identities:
        by_kind[identity.kind].append(identity)
    german_phones = [i for i in by_kind["phone"] if i.normalised.startswith("+49")]

    def national(number: str) -> str:
        parsed = phonenumbers.parse(number)
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)

    makers: list[tuple[str, str, float, Callable[[int], str]]] = [
        ("e-mail", "email", 0.25, lambda n: by_kind["email"][n].value),
        ("sms, national", "sms", 0.20, lambda n: national(german_phones[n].normalised)),
        ("sms, international", "sms", 0.15, lambda n: by_kind["phone"][n].normalised),
        ("whatsapp", "whatsapp", 0.15, lambda n: f"whatsapp:{by_kind['whatsapp'][n].normalised}"),
        ("unknown e-mail", "email", 0.10, lambda n: f"nobody.{n}@unknown.example.com"),
        # 0155 is a German mobile prefix the demo data never uses.
        ("unknown phone", "sms", 0.15, lambda n: f"+49 155 {rng.randrange(10**8):08d}"),
    ]
    cases = []
    for label, channel, share, make in makers:
        cases += [(label, channel, make(n)) for n in range(int(calls * share))]
    rng.shuffle(cases)
    return cases


def sample_identities(rng: random.Random, count: int) -> list[Any]:
    from contacts.models import Identity

    return list(Identity.objects.filter(id__in=random_ids(rng, Identity, count)))


def random_ids(rng: random.Random, model: Any, count: int) -> list[int]:
    from django.db.models import Max, Min

    bounds = model.objects.aggregate(low=Min("id"), high=Max("id"))
    return [rng.randint(bounds["low"], bounds["high"]) for _ in range(count)]


def explain_matching(cases: list[tuple[str, str, str]]) -> None:
    from contacts.identities import CHANNEL_KINDS, normalise
    from contacts.models import Contact, Identity

    _label, channel, address = next(case for case in cases if case[0] == "sms, national")
    kinds = CHANNEL_KINDS[channel]
    normalised = normalise(kinds[0], address)
    lookup = Identity.objects.filter(kind__in=kinds, normalised=normalised)
    ids = list(lookup.values_list("contact_id", flat=True).distinct())
    contacts = Contact.objects.active().filter(pk__in=ids).order_by("-last_activity_at", "-id")
    header(f"EXPLAIN matching {channel} {address!r}: the identity lookup, then the contacts")
    print(
        lookup.values_list("contact_id", flat=True).distinct().explain(analyze=True, buffers=True)
    )
    print()
    print(contacts.explain(analyze=True, buffers=True))


# --- Search ---------------------------------------------------------------------------------


def bench_search(rng: random.Random, *, user: Any, calls: int) -> dict[str, list[float]]:
    from django.db import OperationalError

    from contacts.models import Contact
    from lib.pagination import paginate

    pools = search_queries(rng)
    labels = [label for label in pools for _ in range(calls // len(pools) + 1)][:calls]
    plan = [(label, rng.choice(pools[label])) for label in labels]
    rng.shuffle(plan)

    def run(query: str) -> int:
        page = paginate(
            Contact.objects.visible_to(user).search(query),
            ordering=("-last_activity_at", "-id"),
            cursor=None,
            per_page=50,
        )
        return len(page.items)

    for queries in pools.values():  # warm-up, one query of each kind
        run(queries[0])
    timings: dict[str, list[float]] = defaultdict(list)
    deadline = time.monotonic() + SEARCH_BUDGET_SECONDS
    for label, query in plan:
        if time.monotonic() > deadline:
            print(f"Search budget of {SEARCH_BUDGET_SECONDS} s spent; stopping early.")
            break
        started = time.perf_counter()
        try:
            run(query)
        except OperationalError as exc:  # the statement timeout: counted as a slow search
            print(f"  {label} {query!r} failed: {exc}".strip())
        timings[label].append((time.perf_counter() - started) * 1000)
    explain_search(user, pools)
    return timings


def search_queries(rng: random.Random) -> dict[str, list[str]]:
    """Queries of each kind, drawn from the data so that each finds what it should."""
    import phonenumbers

    from contacts.models import Contact
    from demo.synthetic_contacts import SURNAMES

    sample = Contact.objects.filter(id__in=random_ids(rng, Contact, 5_000)).exclude(last_name="")
    names = sample.values_list("last_name", flat=True)
    rare = sorted({name.lower() for name in names if name not in SURNAMES})
    identities = sample_identities(rng, 400)
    emails = [i.value for i in identities if i.kind == "email"][:40]
    phones = [
        phonenumbers.format_number(
            phonenumbers.parse(i.normalised), phonenumbers.PhoneNumberFormat.NATIONAL
        )
        if i.normalised.startswith("+49")
        else i.normalised
        for i in identities
        if i.kind == "phone"
    ][:40]
    return {
        "common first name": ["anna", "erik", "lars", "maria", "thomas", "johan", "emma", "per"],
        "3 letters": ["ann", "son", "mül", "lin", "eri", "sch"],
        "surname": ["müller", "andersson", "lindqvist", "schröder", "nyström", "hartmann"],
        "rare surname": rng.sample(rare, min(20, len(rare))),
        "company fragment": ["logistik", "bygg", "elektro", "gmbh", "hamburg", "fastigheter"],
        "no match": ["xylophon", "zzq", "quarzwerk", "ljusstake"],
        "e-mail": emails,
        "phone": phones,
    }


def explain_search(user: Any, pools: dict[str, list[str]]) -> None:
    from contacts.models import Contact

    for label in ("common first name", "surname", "rare surname", "no match", "e-mail", "phone"):
        query = pools[label][0]
        queryset = (
            Contact.objects.visible_to(user).search(query).order_by("-last_activity_at", "-id")[:51]
        )
        header(f"EXPLAIN search {label}: {query!r}")
        print(queryset.explain(analyze=True, buffers=True))


def probe_misestimates(user: Any) -> None:
    """Time rare names that ANALYZE happened to sample into the histogram of search_text.

    The planner then takes such a name for common (about 1% of rows with the default
    statistics target) and walks contact_activity_idx newest first, expecting 51 hits soon;
    with a few dozen hits in all it reads the whole index. This is a worst case, not part of
    the mix above: it shows whether the plan choice is safe."""
    from django.db import OperationalError, connection

    from contacts.models import Contact
    from demo.synthetic_contacts import SURNAME_ENDINGS, SURNAME_MIDDLES, SURNAME_STEMS

    made_up = {
        f"{stem}{middle}{ending}".lower()
        for stem in SURNAME_STEMS
        for middle in SURNAME_MIDDLES
        for ending in SURNAME_ENDINGS
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT unnest(histogram_bounds::text::text[]) FROM pg_stats"
            " WHERE tablename = 'contacts_contact' AND attname = 'search_text'"
        )
        sampled = sorted({word for (bound,) in cursor.fetchall() for word in bound.split()})
    terms = [word for word in sampled if word in made_up][:3]
    header("Worst case: rare names sampled into the statistics (not in the figures above)")
    if not terms:
        print("  none of the made-up surnames is in the histogram this time")
        return
    slowest = (0.0, terms[0])
    for term in terms:
        timings = []
        for _ in range(3):
            queryset = Contact.objects.visible_to(user).search(term)
            started = time.perf_counter()
            try:
                list(queryset.order_by("-last_activity_at", "-id")[:51])
            except OperationalError:
                print(f"  {term!r} hit the statement timeout of {STATEMENT_TIMEOUT}")
            timings.append((time.perf_counter() - started) * 1000)
        slowest = max(slowest, (max(timings), term))
        hits = Contact.objects.visible_to(user).search(term).count()
        print(f"  {term!r}: {hits} contacts, " + ", ".join(f"{t:.1f}" for t in timings) + " ms")
    header(f"EXPLAIN worst case {slowest[1]!r}")
    query = Contact.objects.visible_to(user).search(slowest[1])
    print(query.order_by("-last_activity_at", "-id")[:51].explain(analyze=True, buffers=True))


# --- Report ---------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def row(label: str, values: list[float]) -> str:
    p50, p95, p99 = (percentile(values, p) for p in (0.50, 0.95, 0.99))
    mean = statistics.fmean(values)
    return (
        f"  {label:<22} {len(values):>5} {mean:>8.2f} {p50:>8.2f} {p95:>8.2f} {p99:>8.2f}"
        f" {max(values):>9.2f}"
    )


def header(title: str) -> None:
    print(f"\n=== {title}")


def table(
    title: str,
    timings: dict[str, list[float]],
    target: float,
    *,
    others: float,
    at: float = 0.95,
) -> None:
    everything = [value for values in timings.values() for value in values]
    header(f"{title} (ms); other processes used {others:.0%} of the CPUs meanwhile")
    print(f"  {'':<22} {'n':>5} {'mean':>8} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>9}")
    for label, values in sorted(timings.items()):
        print(row(label, values))
    print(row("all", everything))
    met = percentile(everything, at) < target
    print(f"  target p{at * 100:.0f} < {target:g} ms: {'met' if met else 'MISSED'}")


class CpuMeter:
    """How much CPU processes other than this one and its database backend took, from
    /proc (Linux): on two cores, a test run elsewhere doubles every latency measured here."""

    def __init__(self, *, backend_pid: int) -> None:
        self.pids = [os.getpid(), backend_pid]
        self.last = self.read()

    def read(self) -> tuple[int, int, int]:
        """(busy ticks of all CPUs, all ticks, ticks of our two processes)."""
        try:
            cpu = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
            ours = 0
            for pid in self.pids:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ours += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            return (0, 0, 0)
        idle = cpu[3] + cpu[4]
        return (sum(cpu) - idle, sum(cpu), ours)

    def others_share(self) -> float:
        now = self.read()
        busy, total, ours = (a - b for a, b in zip(now, self.last, strict=True))
        self.last = now
        return max(0.0, (busy - ours) / total) if total else 0.0

    def wait_for_quiet(self, *, limit_seconds: int = 600) -> None:
        """Wait (at most `limit_seconds`) until other processes leave the CPUs alone."""
        deadline = time.monotonic() + limit_seconds
        self.others_share()
        while time.monotonic() < deadline:
            time.sleep(3)
            share = self.others_share()
            if share < 0.05:
                return
            print(f"Other processes use {share:.0%} of the CPUs; waiting …", flush=True)
        print("The machine stayed busy; measuring anyway.")


if __name__ == "__main__":
    sys.exit(main())
