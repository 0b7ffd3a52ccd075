"""Inbound Twilio webhooks through gunicorn on PostgreSQL, posted from a second process
(the issue's target: at least 200 messages/s and p99 under 200 ms on this 2-core machine).

    .venv/bin/python benchmarks/webhooks.py [--messages 4000] [--concurrency 8]
        [--new-share 0.45] [--workers 3] [--threads 4] [--worker-class gthread]
        [--contacts 100000] [--conversations 20000] [--quiet-wait 600]
        [--database-url postgres://postgres@127.0.0.1:5432/switchboard_webhooks_bench]
        [--redis-url redis://127.0.0.1:6379/9] [--routing during|after] [--routers 2]

Creates and migrates a dedicated database and fills it with seed_demo's synthetic contacts
unless enough are there (an empty database measures a toy, and gives the planner no
statistics worth the name), adds an inbox owning one SMS number, and starts gunicorn (DEBUG
off) on a free local port and a Celery worker, both on Redis (a private queue). The webhook
verifies, stores the form once per MessageSid and enqueues its routing (DESIGN.md §6); the
worker turns events into messages. With `--routing during` (the default) the worker runs on
the same two CPUs while the webhooks arrive; with `--routing after` it starts once they are all
in, which is the webhook tier alone (workers on other machines) followed by the drain. This
process then posts `--messages` signed inbound webhooks over keep-alive connections from
`--concurrency` threads: first messages from new senders (a new contact and conversation
each), messages from existing contacts (a conversation in our inbox, then more messages in
it), and 5% replays of a MessageSid already posted (they must store nothing). It reports
webhooks accepted per second, the latency seen by the client, the CPU time per message of
the client, gunicorn, the worker and the PostgreSQL backends, then waits for the routing to
finish and reports messages routed per second from the first post to the last message stored,
and checks that the stored messages are exactly the distinct MessageSids. Talks only to
127.0.0.1 and stops by itself: a fixed number of requests, a
request timeout, a time budget.
"""

import argparse
import http.client
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

# Run as a script, Python puts benchmarks/ first on the path; the project root goes there.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from benchmarks.contacts import (  # noqa: E402 - needs the path above
    LOCAL_HOSTS,
    CpuMeter,
    create_database,
    header,
    percentile,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/switchboard_webhooks_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
QUEUE = "switchboard-webhooks-bench"
DRAIN_SECONDS = 600
TARGET_RATE, TARGET_P99_MS = 200.0, 200.0
TOKEN = "benchmark-auth-token"  # noqa: S105 - signs only this benchmark's requests
ACCOUNT = "AC" + "b" * 32
OUR_NUMBER = "+49401234567"
PATH = "/webhooks/twilio/"
BUDGET_SECONDS = 300
REQUEST_TIMEOUT = 30
REPEAT_SENDERS = 300


@dataclass(frozen=True)
class Post:
    kind: str  # new sender, repeat sender, replay
    sid: str
    body: str  # the form, url-encoded
    signature: str


def main() -> int:
    args = parse_args()
    parts = urlsplit(args.database_url)
    if parts.scheme not in {"postgres", "postgresql"} or parts.hostname not in LOCAL_HOSTS:
        sys.exit(f"--database-url must name PostgreSQL on this machine, got {args.database_url}")
    database = parts.path.lstrip("/")
    if "bench" not in database:
        sys.exit(f"Refusing to use {database!r}: the database name must contain 'bench'.")
    create_database(args.database_url, database)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    setup_django(args.database_url, base)
    repeat = prepare(contacts=args.contacts, conversations=args.conversations)
    posts = plan(args.messages, base, random.Random(20261122), repeat, new_share=args.new_share)

    flush_redis(args.redis_url)
    server = start_gunicorn(args, port)
    router: subprocess.Popen[bytes] | None = start_router(args, port)
    try:
        wait_until_up(port, server)
        wait_for_routing(warm_up(port, base, repeat, count=100), time.perf_counter())
        if args.routing == "after":
            stop(router)
            router = None
        run = measure(port, posts, server=server, router=router, database=database, args=args)
        if router is None:
            router = start_router(args, port)
        run.routed_after = wait_for_routing(
            {posts[index].sid for index, _status, _ms in run.results}, run.started
        )
    finally:
        stop(server)
        stop(router)
    return report(posts, run, args=args)


@dataclass
class Run:
    results: list[tuple[int, int, float]]  # (index of the post, HTTP status, latency ms)
    elapsed: float
    others: float  # share of the CPUs other processes used meanwhile
    stolen: float  # share of the CPU time the hypervisor gave to other machines meanwhile
    cpu: dict[str, float]  # CPU seconds used, per group of processes
    started: float = 0.0  # perf_counter() at the first post
    routed_after: float = 0.0  # seconds from the first post until every message was stored


def measure(
    port: int,
    posts: list[Post],
    *,
    server: subprocess.Popen[bytes],
    router: subprocess.Popen[bytes] | None,
    database: str,
    args: argparse.Namespace,
) -> Run:
    meter = CpuMeter(backend_pid=os.getpid())
    meter.pids = [os.getpid(), *server_pids(server.pid)]
    meter.wait_for_quiet(limit_seconds=args.quiet_wait)
    groups = {
        "client (this process)": [os.getpid()],
        "gunicorn": server_pids(server.pid),
        "routing worker": server_pids(router.pid) if router is not None else [],
        "PostgreSQL backends": database_backends(database),
    }
    meter.pids = [pid for pids in groups.values() for pid in pids]
    meter.others_share()
    before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    steal_before = steal_ticks()
    started = time.perf_counter()
    results = post_all(port, posts, concurrency=args.concurrency)
    elapsed = time.perf_counter() - started
    return Run(
        started=started,
        results=results,
        elapsed=elapsed,
        others=meter.others_share(),
        stolen=steal_share(steal_before, steal_ticks()),
        cpu={name: cpu_seconds(pids) - before[name] for name, pids in groups.items()},
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=4000, help="webhooks to post")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument(
        "--new-share", type=float, default=0.45, help="share of first messages from new senders"
    )
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="its database is flushed")
    parser.add_argument(
        "--routing",
        choices=["during", "after"],
        default="during",
        help="run the routing worker while webhooks arrive, or only after",
    )
    parser.add_argument("--routers", type=int, default=2, help="Celery worker processes")
    parser.add_argument(
        "--router-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="one more flag for the routing worker, e.g. --router-arg=--prefetch-multiplier=8",
    )
    parser.add_argument(
        "--contacts", type=int, default=100_000, help="synthetic contacts to fill in first"
    )
    parser.add_argument(
        "--conversations", type=int, default=20_000, help="synthetic conversations (5 messages)"
    )
    parser.add_argument(
        "--quiet-wait",
        type=int,
        default=600,
        metavar="SECONDS",
        help="wait at most this long for other processes to leave the CPUs alone",
    )
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment(url: str, base: str, redis: str = "") -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-not-a-secret",
        "DATABASE_URL": url,
        "REDIS_URL": redis,
        "CELERY_QUEUE": QUEUE,
        "PUBLIC_BASE_URL": base,
        "ALLOWED_HOSTS": "127.0.0.1",
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "SMS_BACKEND": "console",
        "LOG_LEVEL": "WARNING",
    }


def setup_django(url: str, base: str) -> None:
    os.environ.update(server_environment(url, base))
    import django

    django.setup()


def prepare(*, contacts: int, conversations: int) -> list[str]:
    """Migrate; fill with seed_demo's synthetic contacts and conversations unless enough are
    there (an empty database gives the planner no statistics worth the name, and a run that
    starts empty measures a toy); one inbox owning OUR_NUMBER. Returns the phone numbers of
    existing contacts, the repeat senders."""
    from django.core.management import call_command
    from django.db import connection

    from contacts.models import Contact, Identity
    from inbox.models import Conversation, Inbox, InboxChannel

    call_command("migrate", verbosity=0)
    if Contact.objects.count() < contacts or Conversation.objects.count() < conversations:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE inbox_conversation, contacts_contact RESTART IDENTITY CASCADE")
        started = time.perf_counter()
        call_command(
            "seed_demo",
            "--force",
            f"--contacts={contacts}",
            f"--conversations={conversations}",
            "--messages-per=5",
            verbosity=0,
        )
        print(f"Filled in {time.perf_counter() - started:.0f} s.", flush=True)
    if not InboxChannel.objects.filter(kind="sms", address=OUR_NUMBER).exists():
        inbox = Inbox.objects.create(name="Benchmark")
        InboxChannel.objects.create(inbox=inbox, kind="sms", address=OUR_NUMBER)
    print("VACUUM ANALYZE …", flush=True)
    with connection.cursor() as cursor:
        for table in ("inbox_conversation", "inbox_message", "inbox_conversationevent",
                      "contacts_contact", "contacts_identity", "inbox_counter"):  # fmt: skip
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(
            "SELECT (SELECT count(*) FROM contacts_contact), (SELECT count(*) FROM"
            " inbox_conversation), (SELECT count(*) FROM inbox_message)"
        )
        counts = cursor.fetchone()
    print("{:,} contacts, {:,} conversations, {:,} messages".format(*counts))
    phones = Identity.objects.filter(kind="phone", normalised__startswith="+49")
    return list(phones.order_by("?").values_list("normalised", flat=True)[:REPEAT_SENDERS])


def plan(
    count: int, base: str, rng: random.Random, repeat: list[str], *, new_share: float = 0.45
) -> list[Post]:
    """5% replays of a MessageSid posted at least 50 requests earlier; of the rest,
    `new_share` first messages from new senders (a new contact and conversation each), the
    others from existing contacts (their first message starts a conversation in our inbox,
    later ones continue it)."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    run = uuid.uuid4().hex[:8]
    fresh = (f"+49151{n:08d}" for n in rng.sample(range(10_000_000, 89_999_999), count))
    posts: list[Post] = []
    for n in range(count):
        roll = rng.random()
        if roll < 0.05 and n > 50:
            original = posts[rng.randrange(0, n - 50)]
            posts.append(Post("replay", original.sid, original.body, original.signature))
            continue
        new = roll < 0.05 + 0.95 * new_share
        kind, sender = ("new sender", next(fresh)) if new else ("repeat", rng.choice(repeat))
        sid = f"SM{run}{n:024d}"
        params = {
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "AccountSid": ACCOUNT,
            "From": sender,
            "To": OUR_NUMBER,
            "Body": f"Hallo, das ist Nachricht {n}. Wo bleibt meine Bestellung?",
            "NumMedia": "0",
            "NumSegments": "1",
            "FromCountry": "DE",
            "ToCountry": "DE",
            "ApiVersion": "2010-04-01",
        }
        signature = validator.compute_signature(base + PATH, params)
        posts.append(Post(kind, sid, urlencode(params), signature))
    return posts


def start_gunicorn(args: argparse.Namespace, port: int) -> subprocess.Popen[bytes]:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--worker-class={args.worker_class}",
        f"--workers={args.workers}",
        f"--threads={args.threads}",
        "--keep-alive=5",
        "--log-level=warning",
        *(getattr(args, "gunicorn_args", None) or []),  # load.py's --gunicorn-arg
    ]
    environment = server_environment(args.database_url, f"http://127.0.0.1:{port}", args.redis_url)
    print(f"Starting {' '.join(command[1:])}", flush=True)
    return subprocess.Popen(command, cwd=ROOT, env=environment)  # noqa: S603 - our own venv


def start_router(args: argparse.Namespace, port: int) -> subprocess.Popen[bytes]:
    """The Celery worker that routes stored events into messages."""
    command = [
        str(ROOT / ".venv" / "bin" / "celery"),
        "-A",
        "config",
        "worker",
        f"--concurrency={args.routers}",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        "--loglevel=WARNING",
        # load.py shares this helper and has no --router-arg.
        *getattr(args, "router_arg", []),
    ]
    environment = server_environment(args.database_url, f"http://127.0.0.1:{port}", args.redis_url)
    print(f"Starting celery worker --concurrency={args.routers}", flush=True)
    return subprocess.Popen(  # noqa: S603 - our own venv
        command, cwd=ROOT, env=environment, start_new_session=True
    )


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    if process.pid == os.getpgid(process.pid):  # the worker: its whole process group
        os.killpg(process.pid, signal.SIGTERM)
    else:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def wait_for_routing(posted: set[str], started: float) -> float:
    """Seconds from the first post until every posted MessageSid is a message."""
    from django.utils import timezone

    from inbox.models import InboundEvent, Message

    since = timezone.now() - timedelta(seconds=time.perf_counter() - started + 5)
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        # A cheap probe (the partial index of pending events) while the worker works …
        pending = InboundEvent.objects.filter(processed_at__isnull=True, received_at__gte=since)
        if not pending.exists():
            done = time.perf_counter() - started
            # … and the exact check once.
            stored = Message.objects.filter(provider="twilio", provider_message_id__in=posted)
            if stored.count() >= len(posted):
                return done
        time.sleep(0.1)
    return float("nan")


def wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit("gunicorn did not answer /healthz within 60 s")


def server_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    try:
        return [master, *(int(pid) for pid in children.read_text().split())]
    except OSError:
        return [master]


def steal_ticks() -> tuple[int, int]:
    """(steal, all) ticks of all CPUs so far: on a virtual machine, time the hypervisor gave
    to others makes every CPU second here do less work."""
    try:
        ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return (0, 0)
    return (ticks[7] if len(ticks) > 7 else 0, sum(ticks))


def steal_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far (Linux /proc)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def database_backends(database: str) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
        return [pid for (pid,) in cursor.fetchall()]


def warm_up(port: int, base: str, repeat: list[str], *, count: int) -> set[str]:
    """Open every worker's database pool and import everything once, with a throw-away run
    of senders, so the timed run measures the steady state."""
    posts = plan(count, base, random.Random(), repeat)
    results = post_all(port, posts, concurrency=4)
    failed = [r for r in results if r[1] != 200]
    if failed:
        sys.exit(f"the warm-up failed: {failed[:3]}")
    return {post.sid for post in posts}


def post_all(port: int, posts: list[Post], *, concurrency: int) -> list[tuple[int, int, float]]:
    """(index, HTTP status, latency ms) of every post, sent by `concurrency` threads over
    keep-alive connections, each taking the next post as soon as it has an answer."""
    counter = itertools.count()
    results: list[tuple[int, int, float]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + BUDGET_SECONDS

    def work() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        mine = []
        while (index := next(counter)) < len(posts) and time.monotonic() < deadline:
            post = posts[index]
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": post.signature,
                "User-Agent": "TwilioProxy/1.1",
            }
            started = time.perf_counter()
            try:
                connection.request("POST", PATH, body=post.body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
                status = 0
            mine.append((index, status, (time.perf_counter() - started) * 1000))
        connection.close()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def report(posts: list[Post], run: Run, *, args: argparse.Namespace) -> int:
    from django.db import connection

    from inbox.models import Message

    results, elapsed, others = run.results, run.elapsed, run.others
    posted = {posts[index].sid for index, _status, _ms in results}
    stored = Message.objects.filter(provider="twilio", provider_message_id__in=posted).count()
    failures = [(posts[i].kind, status) for i, status, _ms in results if status != 200]
    latencies = [ms for _i, _status, ms in results]
    rate = len(results) / elapsed
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version')")
        (version,) = cursor.fetchone()
    header(
        f"{len(results)} webhooks in {elapsed:.1f} s, {args.concurrency} client threads; "
        f"gunicorn {args.workers} workers x {args.threads} threads ({args.worker_class}); "
        f"PostgreSQL {version}; {os.cpu_count()} CPUs; "
        f"other processes used {others:.0%} of the CPUs meanwhile, steal {run.stolen:.0%}"
    )
    print(f"  {'':<14} {'n':>5} {'mean':>8} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>9}")
    for kind in ("new sender", "repeat", "replay"):
        values = [ms for i, _s, ms in results if posts[i].kind == kind]
        if values:
            print(line(kind, values))
    print(line("all", latencies))
    p99 = percentile(latencies, 0.99)
    print(f"\n  throughput: {rate:.0f} webhooks accepted/s (target ≥ {TARGET_RATE:g}: "
          f"{'met' if rate >= TARGET_RATE else 'MISSED'})")  # fmt: skip
    print(f"  p99 latency: {p99:.1f} ms (target < {TARGET_P99_MS:g} ms: "
          f"{'met' if p99 < TARGET_P99_MS else 'MISSED'})")  # fmt: skip
    print(f"  non-200 answers: {len(failures)} {failures[:5] if failures else ''}")
    print(f"  routing ({args.routing} the posts, {args.routers} worker processes): every "
          f"message stored {run.routed_after:.1f} s after the first post = "
          f"{len(posted) / run.routed_after:.0f} messages routed/s")  # fmt: skip
    print(f"  distinct MessageSids posted: {len(posted)}, messages stored: {stored} "
          f"({'equal' if stored == len(posted) else 'DIFFERENT'})")  # fmt: skip
    print("  CPU per message:", ", ".join(
        f"{name} {seconds / len(results) * 1000:.1f} ms" for name, seconds in run.cpu.items()
    ))  # fmt: skip
    return 0 if stored == len(posted) and not failures else 1


def line(label: str, values: list[float]) -> str:
    p50, p95, p99 = (percentile(values, p) for p in (0.50, 0.95, 0.99))
    return (
        f"  {label:<14} {len(values):>5} {sum(values) / len(values):>8.1f} {p50:>8.1f}"
        f" {p95:>8.1f} {p99:>8.1f} {max(values):>9.1f}"
    )


if __name__ == "__main__":
    sys.exit(main())
