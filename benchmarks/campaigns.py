"""Campaign delivery on PostgreSQL and Redis with real Celery workers: freezing 100,000
recipients, pacing at 50 messages/s to a fake Twilio API, and the live report while it sends
(the campaigns issue's targets: freeze < 30 s and < 300 MB peak RSS in the worker; the achieved
rate within ±5 % of the campaign's, no number sent twice; report p95 ≤ 50 ms).

    .venv/bin/python benchmarks/campaigns.py [--contacts 100000] [--seconds 120] [--rate 50]
        [--concurrency 2] [--warm-up 10] [--previous 1] [--quiet-wait 300] [--quick]
        [--database-url postgres://postgres@127.0.0.1:5432/switchboard_campaign_bench]
        [--redis-url redis://127.0.0.1:6379/7]

1. Creates and migrates a dedicated database, empties its campaign tables, and fills
   `--contacts` contacts with one mobile number each (bulk INSERTs, kept for the next run when
   the count is right), an inbox owning one SMS number and a manager of it, and `--previous`
   completed campaigns to the same contacts (so the measured one is not the table's only one).
2. **Freeze**: starts `celery -A config worker --pool=solo` on a private Redis database and
   queue, launches a service campaign to every one of those contacts through
   `campaigns.actions.launch_campaign` (the freeze is published after commit, as in
   production) and times it until `frozen_at` is set, with the rows inserted and rendered
   polled once a second. Peak RSS is the worker's VmHWM (/proc), which ran `freeze.freeze`.
3. **Pacing**: starts the fake Twilio API (tests/fakes/twilio_api.py) in a process of its own,
   logging the time and number of every request, and `celery -A config worker --beat
   --concurrency=2`: the beat's tick (campaigns.delivery) hands out the campaign's rate per
   second within the sender's budget in Redis, the worker processes send. After the first
   request and `--warm-up` seconds, it counts the requests Twilio accepted in each second of
   `--seconds`: the achieved rate, and every number at most once.
4. **Report**: meanwhile, as the manager (django.test.Client in this process: the server
   time of the whole view, no network), rounds of the report page and its live poll fragment
   with the counts computed (the cache key deleted first: one manager polling every 2 s finds
   the 2-second cache expired), the report with the counts cached, and the floor /healthz,
   shuffled in each round, about one round a second.

Then it pauses and cancels the campaign, stops the worker and the fake, and prints the tables
and EXPLAIN ANALYZE of the report's queries; exit status 1 when a target is missed. Talks only
to 127.0.0.1 and stops by itself: every wait has a limit, the pacing lasts `--seconds`.
"""

import argparse
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Run as a script, Python puts benchmarks/ first on the path, where this file would shadow the
# `campaigns` app; the project root goes there instead.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from benchmarks.contacts import (  # noqa: E402 - needs the path above
    LOCAL_HOSTS,
    CpuMeter,
    create_database,
    header,
    percentile,
)
from benchmarks.webhooks import cpu_seconds, database_backends, server_pids  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/switchboard_campaign_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/7"
QUEUE = "switchboard-campaign-bench"
ACCOUNT = "AC" + "c" * 32
TOKEN = "campaign-benchmark-token"  # noqa: S105 - the fake Twilio's, nothing else
OUR_NUMBER = "+49401234599"
COMPANY = "Kampagnen-Benchmark GmbH"
MANAGER = "campaign-bench-manager@nordlicht.example"
BODY = 'Hallo {{ contact.first_name | default: "Kundin" }}, Ihr Termin ist bestätigt. Bis bald!'
FIRST_NAMES = ("Anna", "Erik", "Jana", "Lukas", "Sofia", "Nils", "Mia", "Jonas", "", "Lea")
FREEZE_TARGET_SECONDS, FREEZE_TARGET_MB = 30.0, 300.0
RATE_TOLERANCE = 0.05
REPORT_TARGET_MS = 50.0
FREEZE_LIMIT_SECONDS = 600
START_LIMIT_SECONDS = 90
ROUND_SECONDS = 1.0
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def main() -> int:
    args = parse_args()
    if args.fake_twilio_log:
        return serve_fake_twilio(Path(args.fake_twilio_log))
    parts, redis_parts = urlsplit(args.database_url), urlsplit(args.redis_url)
    if parts.scheme not in {"postgres", "postgresql"} or parts.hostname not in LOCAL_HOSTS:
        sys.exit(f"--database-url must name PostgreSQL on this machine, got {args.database_url}")
    if redis_parts.scheme != "redis" or redis_parts.hostname not in LOCAL_HOSTS:
        sys.exit(f"--redis-url must name Redis on this machine, got {args.redis_url}")
    database = parts.path.lstrip("/")
    if "bench" not in database:
        sys.exit(f"Refusing to fill {database!r}: the database name must contain 'bench'.")
    create_database(args.database_url, database)
    work = Path(tempfile.mkdtemp(prefix="campaign-bench-"))
    fake = FakeProcess(work / "twilio.log")
    fake.start()
    try:
        setup_django(environment(args, fake.url))
        manager, inbox = prepare(args.contacts)
        add_previous_campaigns(args.previous, manager, inbox)
        flush_redis(args.redis_url)
        meter = CpuMeter(backend_pid=os.getpid())
        meter.wait_for_quiet(limit_seconds=args.quiet_wait)
        frozen = bench_freeze(args, fake.url, work, manager, inbox, database)
        paced = bench_pacing(args, fake, work, frozen, manager, database)
    finally:
        fake.stop()
    return report(args, frozen, paced)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=None, help="audience (100,000)")
    parser.add_argument("--seconds", type=int, default=None, help="pacing window (120)")
    parser.add_argument("--rate", type=float, default=50.0, help="campaign.rate, messages/s")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes sending")
    parser.add_argument(
        "--warm-up", type=int, default=10, help="seconds after the first send not counted"
    )
    parser.add_argument(
        "--previous",
        type=int,
        default=1,
        help="finished campaigns to the same audience before this one (their rows come first)",
    )
    parser.add_argument("--quick", action="store_true", help="10,000 contacts, 20 s: a smoke run")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="its database is flushed")
    parser.add_argument(
        "--quiet-wait",
        type=int,
        default=None,
        metavar="SECONDS",
        help="wait at most this long for other processes to leave the CPUs alone (300)",
    )
    parser.add_argument("--fake-twilio-log", help=argparse.SUPPRESS)  # the fake's own process
    args = parser.parse_args()
    quick = args.quick
    args.contacts = args.contacts or (10_000 if quick else 100_000)
    args.seconds = args.seconds or (20 if quick else 120)
    args.quiet_wait = args.quiet_wait if args.quiet_wait is not None else (30 if quick else 300)
    return args


def environment(args: argparse.Namespace, twilio_url: str) -> dict[str, str]:
    """The settings of this process and of the workers."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "benchmark-only-not-a-secret",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CELERY_QUEUE": QUEUE,
        "ALLOWED_HOSTS": "testserver,127.0.0.1",
        "PUBLIC_BASE_URL": "http://127.0.0.1:9",
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_API_BASE_URL": twilio_url,
        "LOG_LEVEL": "INFO",
    }


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


# --- The fake Twilio API, in a process of its own -----------------------------------------


def serve_fake_twilio(log_path: Path) -> int:
    """The fake Twilio API (tests/fakes/twilio_api.py) until SIGTERM, writing one line per
    Messages request: time.monotonic() (the same clock in every process), accepted, To."""
    from tests.fakes.twilio_api import FakeTwilio

    log = log_path.open("w", buffering=1)

    class Logging(FakeTwilio):
        def _record(
            self, form: dict[str, str], *, accepted: bool, media: list[str] | None = None
        ) -> None:
            super()._record(form, accepted=accepted, media=media)
            with self._lock:
                log.write(f"{time.monotonic():.6f}\t{int(accepted)}\t{form.get('To', '')}\n")
            with self._lock:  # the fake keeps every form; this process needs none of them
                self.requests.clear()
                self.accepted.clear()
                self.request_times.clear()

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with Logging(account_sid=ACCOUNT, auth_token=TOKEN) as fake:
        print(fake.port, flush=True)
        stopped.wait(3 * 3600)  # a forgotten fake stops by itself
    log.close()
    return 0


class FakeProcess:
    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - this script, our interpreter
            [sys.executable, __file__, "--fake-twilio-log", str(self.log_path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().strip()
        if not port.isdigit():
            sys.exit("The fake Twilio API did not start.")
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def requests(self) -> list[tuple[float, bool, str]]:
        found = []
        for line in self.log_path.read_text().splitlines():
            at, accepted, to = line.split("\t")
            found.append((float(at), accepted == "1", to))
        return found


# --- The data -----------------------------------------------------------------------------


def prepare(count: int) -> tuple[Any, Any]:
    """Migrate and collect the static files (DEBUG off serves them through the manifest);
    empty the campaign tables; `count` contacts of COMPANY with a mobile number each; an
    inbox owning OUR_NUMBER and its manager."""
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Organisation, Role, User
    from contacts.models import Contact, Identity
    from inbox.models import Inbox, InboxChannel, InboxRole, Membership

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    Organisation.load()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE campaigns_campaign RESTART IDENTITY CASCADE")
    have = Contact.objects.filter(company=COMPANY).count()
    numbers = Identity.objects.filter(kind="phone", contact__company=COMPANY).count()
    if have != count or numbers != count:
        print(f"Filling {count:,} contacts with a mobile number each …", flush=True)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE contacts_contact RESTART IDENTITY CASCADE")
        for start in range(0, count, 10_000):
            people = Contact.objects.bulk_create(
                [
                    Contact(
                        kind="identified",
                        first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
                        last_name=f"Kunde {n}",
                        company=COMPANY,
                        attributes={"language": "de"},
                    )
                    for n in range(start, min(count, start + 10_000))
                ]
            )
            Identity.objects.bulk_create(
                [
                    Identity(
                        contact=person,
                        kind="phone",
                        value=f"+49151{n:08d}",
                        normalised=f"+49151{n:08d}",
                    )
                    for n, person in enumerate(people, start=start)
                ]
            )
        print(f"Filled in {time.perf_counter() - started:.0f} s.", flush=True)
    with connection.cursor() as cursor:
        for table in ("contacts_contact", "contacts_identity"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    manager = User.objects.filter(email=MANAGER).first() or User.objects.create_user(
        MANAGER, password=None, display_name="Campaign Bench Manager", role=Role.MANAGER
    )
    inbox = Inbox.objects.filter(name="Campaign benchmark").first() or Inbox.objects.create(
        name="Campaign benchmark"
    )
    InboxChannel.objects.get_or_create(inbox=inbox, kind="sms", address=OUR_NUMBER)
    Membership.objects.get_or_create(
        inbox=inbox, user=manager, defaults={"role": InboxRole.MANAGER}
    )
    return manager, inbox


def add_previous_campaigns(count: int, manager: Any, inbox: Any) -> None:
    """`count` completed campaigns to the same contacts, all sent (one INSERT … SELECT each):
    the measured campaign is then not the table's first, and its rows not its lowest ids."""
    from django.db import connection
    from django.utils import timezone

    from campaigns.models import Campaign

    if not count:
        return
    started = time.perf_counter()
    now = timezone.now()
    for n in range(count):
        campaign = Campaign.objects.create(
            inbox=inbox,
            name=f"Earlier campaign {n + 1}",
            type="service",
            channel="sms",
            sender=inbox.channels.get(kind="sms"),
            body=BODY,
            status="completed",
            frozen_at=now,
            started_at=now,
            completed_at=now,
            window_days=[],
            created_by=manager,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO campaigns_campaignrecipient (campaign_id, contact_id, identity_id,
                    address, status, skip_reason, time_zone, subject, rendered_body, segments,
                    provider_message_id, error_code, error, attempts, sent_at, not_before)
                SELECT %s, c.id, i.id, i.normalised, 'sent', '', 'Europe/Berlin', '',
                    'Hallo ' || c.first_name || ', Ihr Termin ist bestätigt.', 1,
                    'SM' || md5(%s || '-' || i.id), '', '', 1, %s, %s
                FROM contacts_contact c JOIN contacts_identity i ON i.contact_id = c.id
                WHERE c.company = %s ORDER BY c.id
                """,
                [campaign.pk, str(campaign.pk), now, now, COMPANY],
            )
            size = cursor.rowcount
        Campaign.objects.filter(pk=campaign.pk).update(audience_size=size)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE campaigns_campaignrecipient")
    print(f"{count} earlier campaign(s) added in {time.perf_counter() - started:.0f} s.")


# --- Workers ------------------------------------------------------------------------------


def start_worker(args: argparse.Namespace, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    command = [
        str(ROOT / ".venv" / "bin" / "celery"),
        "-A",
        "config",
        "worker",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        "--loglevel=INFO",
        *extra,
    ]
    print(f"Starting celery {' '.join(command[3:])}", flush=True)
    with log.open("wb") as output:  # the project's logging writes to the console
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
        if log.exists() and " ready." in log.read_text(errors="replace"):
            return process
        time.sleep(0.2)
    stop(process)
    sys.exit(f"The worker was not ready within {START_LIMIT_SECONDS} s; see {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # warm shutdown: running tasks finish
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def memory_mb(pid: int, field_name: str = "VmHWM") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


# --- Freeze -------------------------------------------------------------------------------


@dataclass
class Frozen:
    campaign_id: int
    audience: int
    seconds: float
    inserted_after: float  # every row inserted (pending or skipped) after so many seconds
    baseline_mb: float  # the worker's VmHWM before the freeze
    peak_mb: float  # and after
    worker_cpu: float
    database_cpu: float
    others: float
    statuses: dict[str, int]


def launch(manager: Any, inbox: Any, rate: float) -> Any:
    from campaigns.actions import campaigns as actions

    campaign = actions.create_campaign(
        inbox=inbox, actor=manager, name="Benchmark", channel="sms", type="service"
    )
    actions.update_campaign(
        campaign,
        actor=manager,
        values={
            "body": BODY,
            "audience": {
                "match": "all",
                "rules": [{"field": "company", "op": "equals", "value": COMPANY}],
            },
            "window_days": [],  # any time: the benchmark must not wait for a window
            "rate": rate,
        },
    )
    actions.launch_campaign(campaign, actor=manager)  # publishes the freeze after commit
    return campaign


def bench_freeze(
    args: argparse.Namespace,
    twilio_url: str,
    work: Path,
    manager: Any,
    inbox: Any,
    database: str,
) -> Frozen:
    from django.db import connection

    from campaigns.models import Campaign

    header(f"Freeze: {args.contacts:,} recipients in a worker (--pool=solo)")
    worker = start_worker(args, work / "freeze-worker.log", "--pool=solo")
    try:
        baseline = memory_mb(worker.pid)
        meter = CpuMeter(backend_pid=os.getpid())
        backends = database_backends(database)
        meter.pids = [os.getpid(), worker.pid, *backends]
        meter.others_share()
        cpu_before = cpu_seconds([worker.pid]), cpu_seconds(backends)
        started = time.perf_counter()
        campaign = launch(manager, inbox, args.rate)
        inserted_after = float("nan")
        next_count = started
        deadline = time.monotonic() + FREEZE_LIMIT_SECONDS
        while time.monotonic() < deadline:
            if Campaign.objects.filter(pk=campaign.pk, frozen_at__isnull=False).exists():
                break
            now = time.perf_counter()
            if now >= next_count:  # the timeline, once a second
                next_count = now + 1.0
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(*), count(*) FILTER (WHERE status <> 'pending')"
                        " FROM campaigns_campaignrecipient WHERE campaign_id = %s",
                        [campaign.pk],
                    )
                    rows, done = cursor.fetchone()
                if rows >= args.contacts and math.isnan(inserted_after):
                    inserted_after = now - started
                print(f"  {now - started:6.1f} s: {rows:>7,} rows, {done:>7,} rendered or "
                      f"skipped", flush=True)  # fmt: skip
            time.sleep(0.1)
        else:
            sys.exit(f"The freeze did not finish within {FREEZE_LIMIT_SECONDS} s.")
        seconds = time.perf_counter() - started
        peak = memory_mb(worker.pid)
        backends = database_backends(database)
        worker_cpu = cpu_seconds([worker.pid]) - cpu_before[0]
        database_cpu = cpu_seconds(backends) - cpu_before[1]
        others = meter.others_share()
    finally:
        stop(worker)
    campaign.refresh_from_db()
    statuses = Counter(campaign.recipients.values_list("status", flat=True))
    return Frozen(
        campaign_id=campaign.pk,
        audience=campaign.audience_size or 0,
        seconds=seconds,
        inserted_after=inserted_after,
        baseline_mb=baseline,
        peak_mb=peak,
        worker_cpu=worker_cpu,
        database_cpu=database_cpu,
        others=others,
        statuses=dict(statuses),
    )


# --- Pacing and the report ----------------------------------------------------------------


@dataclass
class Paced:
    window: tuple[float, float]  # monotonic start and end of the counted window
    requests: list[tuple[float, bool, str]]
    timings: dict[str, list[float]] = field(default_factory=dict)
    queries: dict[str, tuple[int, float, str]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    worker_mb: dict[int, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    others: float = 0.0
    ticks: list[tuple[float, int]] = field(default_factory=list)  # (seconds, rows handed)
    batches: list[float] = field(default_factory=list)  # seconds per send_batch
    plans: str = ""


def bench_pacing(
    args: argparse.Namespace,
    fake: FakeProcess,
    work: Path,
    frozen: Frozen,
    manager: Any,
    database: str,
) -> Paced:
    from django.core.cache import cache
    from django.test import Client
    from django.urls import reverse

    from campaigns.actions import campaigns as actions
    from campaigns.models import Campaign
    from campaigns.report import counts as counts_of

    header(
        f"Pacing at {args.rate:g}/s for {args.seconds} s (after {args.warm_up} s of warm-up),"
        f" the report meanwhile"
    )
    campaign = Campaign.objects.get(pk=frozen.campaign_id)
    client = Client()
    client.force_login(manager)
    detail = reverse("campaigns:detail", args=[campaign.pk])
    # The tick recounts a sending campaign into the cache every 2 s (campaigns.report.refresh),
    # so the report and its live poll, as a manager gets them, read the counts from the cache;
    # "counts computed" deletes them first (the GROUP BY a report pays without the tick), for
    # information: the target is judged on what a manager waits for.
    pages = {
        "report": (detail, {}, False),
        "live poll": (detail, HTMX, False),
        "report, counts computed": (detail, {}, True),
        "floor: /healthz": ("/healthz", {}, False),
    }
    for url, headers, _computed in pages.values():  # warm up imports, templates, pools
        for _ in range(3):
            expect_ok(client.get(url, headers=headers), url)
    key = f"campaign-counts:{campaign.pk}"
    log = work / "pacing-worker.log"
    worker = start_worker(
        args,
        log,
        f"--concurrency={args.concurrency}",
        "--beat",
        f"--schedule={work / 'beat-schedule'}",
    )
    timings: dict[str, list[float]] = {label: [] for label in pages}
    try:
        deadline = time.monotonic() + START_LIMIT_SECONDS
        while not fake.requests():
            if time.monotonic() > deadline:
                sys.exit(f"Nothing reached the fake Twilio within {START_LIMIT_SECONDS} s.")
            time.sleep(0.2)
        first = fake.requests()[0][0]
        start, end = first + args.warm_up, first + args.warm_up + args.seconds
        pids = server_pids(worker.pid)
        backends = database_backends(database)
        meter = CpuMeter(backend_pid=os.getpid())
        rng = random.Random(20261201)
        while time.monotonic() < start:
            time.sleep(0.1)
        meter.pids = [os.getpid(), *pids, *backends, fake_pid(fake)]
        meter.others_share()
        before = {
            "worker processes": cpu_seconds(pids),
            "PostgreSQL backends": cpu_seconds(backends),
            "fake Twilio": cpu_seconds([fake_pid(fake)]),
            "this process (report)": cpu_seconds([os.getpid()]),
        }
        while time.monotonic() < end:
            round_started = time.monotonic()
            labels = list(pages)
            rng.shuffle(labels)
            for label in labels:
                url, headers, computed = pages[label]
                if computed:
                    cache.delete(key)
                elif label.startswith("report"):
                    counts_of(campaign)  # the counts are in the cache for the timed request
                began = time.perf_counter()
                response = client.get(url, headers=headers)
                timings[label].append((time.perf_counter() - began) * 1000)
                expect_ok(response, url)
            time.sleep(max(0.0, ROUND_SECONDS - (time.monotonic() - round_started)))
        backends = database_backends(database)
        after = {
            "worker processes": cpu_seconds(pids),
            "PostgreSQL backends": cpu_seconds(backends),
            "fake Twilio": cpu_seconds([fake_pid(fake)]),
            "this process (report)": cpu_seconds([os.getpid()]),
        }
        others = meter.others_share()
        actions.pause_campaign(campaign, actor=manager)
        worker_mb = {pid: memory_mb(pid) for pid in server_pids(worker.pid)}
    finally:
        stop(worker)
    time.sleep(0.5)
    queries = {
        label: count_queries(client, url, headers, forget=key if computed else "")
        for label, (url, headers, computed) in pages.items()
    }
    statuses = Counter(campaign.recipients.values_list("status", flat=True))
    plans = explain_report(campaign)
    actions.cancel_campaign(campaign, actor=manager)  # what is left never goes out
    ticks, batches = task_times(log)
    return Paced(
        window=(start, end),
        requests=fake.requests(),
        timings=timings,
        queries=queries,
        statuses=dict(statuses),
        worker_mb=worker_mb,
        cpu={name: after[name] - before[name] for name in before},
        others=others,
        ticks=ticks,
        batches=batches,
        plans=plans,
    )


def explain_report(campaign: Any) -> str:
    """EXPLAIN ANALYZE of the report's two queries over the campaign's rows, as the view
    runs them, and when autovacuum last analysed the table."""
    from django.db import connection
    from django.db.models import Count

    from campaigns.models import CampaignRecipient

    rows = CampaignRecipient.objects.filter(campaign=campaign)
    start = (campaign.first_recipient_id or 1) - 1  # where the view starts (campaigns.views)
    listed = rows.filter(pk__gt=start).select_related("contact").order_by("pk")[:51]
    counted = (
        rows.values("status", "skip_reason", "error_code")
        .annotate(n=Count("id"), replied=Count("replied_at"))
        .order_by()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_analyze, last_autoanalyze FROM pg_stat_user_tables"
            " WHERE relname = 'campaigns_campaignrecipient'"
        )
        analysed = cursor.fetchone()
    return (
        f"  table last analysed: {analysed[0]} (this script, before the freeze), autovacuum:"
        f" {analysed[1]}\n"
        f"  -- the recipients list (50 a page):\n{indent(listed.explain(analyze=True))}\n"
        f"  -- the counts (one GROUP BY):\n{indent(counted.explain(analyze=True))}"
    )


def indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def fake_pid(fake: FakeProcess) -> int:
    return fake.process.pid if fake.process is not None else 0


def expect_ok(response: Any, url: str) -> None:
    status = getattr(response, "status_code", 0)
    if status != 200:
        body = getattr(response, "content", b"").decode(errors="replace")[:600]
        sys.exit(f"{url} answered {status}\n{body}")


def count_queries(
    client: Any, url: str, headers: dict[str, str], *, forget: str
) -> tuple[int, float, str]:
    """(queries, ms of the slowest, its SQL) of one request, `forget` deleted from the
    cache first."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if forget:
        cache.delete(forget)
    with CaptureQueriesContext(connection) as captured:
        client.get(url, headers=headers)
    slowest = max(captured.captured_queries, key=lambda q: float(q["time"]), default=None)
    if slowest is None:
        return (0, 0.0, "")
    return (len(captured), float(slowest["time"]) * 1000, slowest["sql"][:160])


TASK_LINE = re.compile(r"Task campaigns\.tasks\.(tick|send_batch)\[[^\]]+\] succeeded in ([\d.]+)s")


def task_times(log: Path) -> tuple[list[tuple[float, int]], list[float]]:
    """Seconds per tick (with the rows it handed) and per send_batch, from the worker's log."""
    ticks, batches = [], []
    for line in log.read_text(errors="replace").splitlines():
        match = TASK_LINE.search(line)
        if match is None:
            continue
        if match[1] == "tick":
            handed = line.rsplit(":", 1)[-1].strip()
            ticks.append((float(match[2]), int(handed) if handed.isdigit() else 0))
        else:
            batches.append(float(match[2]))
    return ticks, batches


# --- Report -------------------------------------------------------------------------------


def report(args: argparse.Namespace, frozen: Frozen, paced: Paced) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version')")
        (version,) = cursor.fetchone()
    header(f"Campaigns on PostgreSQL {version}, {os.cpu_count()} CPUs, {args.contacts:,} contacts")
    ok = True

    fast, small = frozen.seconds < FREEZE_TARGET_SECONDS, frozen.peak_mb < FREEZE_TARGET_MB
    ok &= fast and small and frozen.audience == args.contacts
    print(
        f"\n  freeze of {frozen.audience:,} recipients: {frozen.seconds:.1f} s (target <"
        f" {FREEZE_TARGET_SECONDS:g} s): {'met' if fast else 'MISSED'}; all rows inserted after"
        f" {frozen.inserted_after:.1f} s"
        f"\n  worker peak RSS (VmHWM) {frozen.peak_mb:.0f} MB, {frozen.baseline_mb:.0f} MB"
        f" before (target < {FREEZE_TARGET_MB:g} MB): {'met' if small else 'MISSED'}"
        f"\n  CPU: worker {frozen.worker_cpu:.1f} s, PostgreSQL backends"
        f" {frozen.database_cpu:.1f} s; other processes used {frozen.others:.0%} of the CPUs"
        f"\n  recipients: {dict(sorted(frozen.statuses.items()))}"
    )

    start, end = paced.window
    seconds = end - start
    accepted = [(at, to) for at, ok_, to in paced.requests if ok_]
    counted = [at for at, _to in accepted if start <= at < end]
    per_second = Counter(int(at - start) for at in counted)
    buckets = [float(per_second.get(n, 0)) for n in range(int(seconds))]
    rate = len(counted) / seconds
    numbers = Counter(to for _at, to in accepted)
    duplicates = sum(1 for n in numbers.values() if n > 1)
    rate_ok = abs(rate - args.rate) <= RATE_TOLERANCE * args.rate
    ok &= rate_ok and duplicates == 0
    print(
        f"\n  pacing at campaign.rate {args.rate:g}/s, {args.concurrency} worker processes +"
        f" beat: {len(counted):,} accepted in {seconds:.0f} s = {rate:.2f}/s (target"
        f" {args.rate:g} ± {RATE_TOLERANCE:.0%}): {'met' if rate_ok else 'MISSED'}"
        f"\n  per second: min {min(buckets)}, p5 {percentile(buckets, 0.05)}, median"
        f" {percentile(buckets, 0.5)}, p95 {percentile(buckets, 0.95)}, max {max(buckets)};"
        f" seconds under {args.rate * (1 - RATE_TOLERANCE):g}:"
        f" {sum(1 for b in buckets if b < args.rate * (1 - RATE_TOLERANCE))} of {len(buckets)}"
        f"\n  requests to Twilio over the whole run: {len(paced.requests):,}, numbers"
        f" {len(numbers):,}, numbers sent more than once: {duplicates}"
        f" ({'none' if not duplicates else 'DUPLICATES'})"
        f"\n  recipients when paused: {dict(sorted(paced.statuses.items()))}"
    )
    if paced.ticks:
        tick_seconds = [s * 1000 for s, _n in paced.ticks]
        handed = Counter(n for _s, n in paced.ticks)
        print(
            f"  ticks: {len(paced.ticks)} ran (p50 {percentile(tick_seconds, 0.5):.0f} ms, p95"
            f" {percentile(tick_seconds, 0.95):.0f} ms); rows handed per tick:"
            f" {dict(sorted(handed.items()))}"
        )
    if paced.batches:
        batch_ms = [s * 1000 for s in paced.batches]
        print(
            f"  send_batch: {len(batch_ms)} ran, p50 {percentile(batch_ms, 0.5):.0f} ms, p95"
            f" {percentile(batch_ms, 0.95):.0f} ms per batch of up to 10"
        )
    print(
        "  CPU over the window: "
        + ", ".join(f"{name} {s:.1f} s ({s / seconds:.0%})" for name, s in paced.cpu.items())
        + f"; other processes used {paced.others:.0%} of the CPUs"
    )
    print(
        "  worker peak RSS (VmHWM): " + ", ".join(f"{mb:.0f} MB" for mb in paced.worker_mb.values())
    )

    print(f"\n  {'while it sends (ms)':<28} {'n':>5} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}"
          f"  queries")  # fmt: skip
    floor = percentile(paced.timings["floor: /healthz"], 0.95)
    for label, values in paced.timings.items():
        p50, p95, p99 = (percentile(values, p) for p in (0.5, 0.95, 0.99))
        n_queries, slowest_ms, _sql = paced.queries.get(label, (0, 0.0, ""))
        print(
            f"  {label:<28} {len(values):>5} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f}"
            f" {max(values):>8.1f}  {n_queries} (slowest {slowest_ms:.1f} ms)"
        )
    report_p95 = max(percentile(paced.timings[label], 0.95) for label in ("report", "live poll"))
    report_ok = report_p95 <= REPORT_TARGET_MS
    ok &= report_ok
    print(
        f"  report p95 {report_p95:.1f} ms, {report_p95 / floor:.1f}x the floor's"
        f" {floor:.1f} ms (target ≤ {REPORT_TARGET_MS:g} ms): {'met' if report_ok else 'MISSED'}"
    )
    slowest = max(paced.queries.items(), key=lambda item: item[1][1])
    print(f"  slowest query of a computed report ({slowest[1][1]:.1f} ms): {slowest[1][2]} …")
    header("The report's queries after the window (EXPLAIN ANALYZE)")
    print(paced.plans)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
