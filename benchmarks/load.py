"""Mixed load on the agent workspace through gunicorn: simulated agents polling, opening and
answering conversations while signed Twilio SMS arrive, on PostgreSQL with a Celery worker
(the inbox performance issue's target: p95 under 300 ms for every request type, no errors,
every gunicorn and Celery process at most 250 MB).

    .venv/bin/python benchmarks/load.py [--agents 50] [--duration 180] [--sms-rate 5]
        [--poll-seconds 5] [--open-seconds 20] [--reply-seconds 60]
        [--workers 3] [--threads 4] [--worker-class gthread] [--routers 2]
        [--database-url postgres://postgres@127.0.0.1:5432/switchboard_load_bench]
        [--template switchboard_inbox_bench] [--fresh] [--redis-url redis://127.0.0.1:6379/10]
        [--calibrate 40] [--quiet-wait 300]

The database is a copy of the inbox benchmark's (100,000 conversations, a million messages, a
million contacts: fill it first with `benchmarks/inbox.py --fill-only`), made with CREATE
DATABASE … TEMPLATE when it is missing or with --fresh, so the rows a run adds never reach the
inbox benchmark's figures. The script adds `--agents` agent users, members of both demo inboxes,
each with a session written straight into the session table, starts gunicorn (DEBUG off) on a
free port of 127.0.0.1 and a Celery worker on a private Redis database and queue (flushed), and
warms both up. Then for `--duration` seconds every agent, in its own thread with its own
keep-alive connection, loads the workspace once, polls the live endpoint every
`--poll-seconds` as the browser does (the `since` of the previous answer, the rows it shows,
the open conversation, can_reply, pending), opens a conversation from its list about every
`--open-seconds` (the htmx thread swap), and replies about every `--reply-seconds` (the htmx
reply form: body, client_id, csrfmiddlewaretoken), while `--sms-rate` signed inbound Twilio
SMS per second arrive for the demo inboxes' numbers, half from new senders. Every request type
is then reported with its count, p50/p95/p99/max, errors (any answer but 200) and dropped
connections; the CPU seconds of gunicorn, the Celery worker and the PostgreSQL backends over
the run per request, and the peak RSS (VmHWM) of every gunicorn and Celery process. With
--calibrate N, each request type is afterwards sent N times on its own, one at a time, to
attribute CPU time to it. Talks only to 127.0.0.1 and stops by itself: the duration is capped,
every request has a timeout, and gunicorn and the worker are stopped at the end.
"""

import argparse
import html
import http.client
import math
import os
import random
import re
import signal
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

# Run as a script, Python puts benchmarks/ first on the path; the project root goes there.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from benchmarks import webhooks  # noqa: E402 - needs the path above
from benchmarks.contacts import LOCAL_HOSTS, CpuMeter, header, percentile  # noqa: E402
from benchmarks.webhooks import (  # noqa: E402
    ACCOUNT,
    TOKEN,
    cpu_seconds,
    flush_redis,
    free_port,
    server_pids,
    start_gunicorn,
    start_router,
    steal_share,
    steal_ticks,
    stop,
    wait_until_up,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/switchboard_load_bench"
DEFAULT_TEMPLATE = "switchboard_inbox_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/10"
QUEUE = "switchboard-load-bench"
MAX_DURATION = 1800
MAX_AGENTS = 200
MAX_SMS_RATE = 50.0
REQUEST_TIMEOUT = 30
# gunicorn closes a connection idle for --keep-alive=5 s (benchmarks/webhooks.py); a browser
# that finds its kept-alive connection closed opens a new one, so an agent idle for longer
# than this reconnects first instead of counting the server's close as a dropped connection.
IDLE_RECONNECT = 4.0
TARGET_P95_MS, TARGET_RSS_MB = 300.0, 250.0
OK = (200, 204)  # 204: a live poll when nothing changed
AGENT_EMAIL = "load-agent-{:03d}@nordlicht.example"
DEMO_INBOXES = ("Kundenservice", "Vertrieb")
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
SMS_THREADS = 4
NEW_SENDER_SHARE = 0.5
DRAIN_SECONDS = 120

LIVE_STATE = re.compile(r'<input[^>]*class="live-state"[^>]*name="(\w+)"[^>]*value="([^"]*)"')
ROW_ID = re.compile(r'name="shown" value="(\d+)"')
DELETED_ROW = re.compile(r'hx-target="#conversation-row-(\d+)" hx-swap="delete"')
SINCE = re.compile(r'data-since="([^"]+)"')
POLLER = re.compile(r'<div[^>]*\bid="live-poller"[^>]*>')
HX_GET = re.compile(r'\bhx-(?:get|post)="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CLIENT_ID = re.compile(r'name="client_id" value="([^"]+)"')
REPLY_ACTION = re.compile(r'action="(/inbox/c/\d+/reply/)"')


def live_state(page: str) -> list[tuple[str, str]]:
    """What htmx sends with the poll (`hx-include=".live-state"`), in document order."""
    return [(name, html.unescape(value)) for name, value in LIVE_STATE.findall(page)]


def poller_url(page: str) -> str | None:
    """The URL the poller in a page or a poll's answer asks next (its hx-post, or hx-get in
    older pages: since and whatever else the server put there), or None when there is none."""
    tag = POLLER.search(page)
    if tag:
        url = HX_GET.search(tag.group(0))
        if url:
            return html.unescape(url.group(1))
    since = SINCE.search(page)
    return f"/inbox/live/?since={quote(html.unescape(since.group(1)))}" if since else None


# --- Recording ------------------------------------------------------------------------------


@dataclass
class Recorder:
    """(latency ms, HTTP status or 0 for a dropped connection) per request type."""

    results: dict[str, list[tuple[float, int]]] = field(default_factory=lambda: defaultdict(list))
    lags: list[float] = field(default_factory=list)  # how late a request started, ms
    reconnects: int = 0
    longest_poll: int = 0  # characters in the longest live poll URL sent
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, ms: float, status: int) -> None:
        with self.lock:
            self.results[kind].append((ms, status))

    def lag(self, ms: float) -> None:
        with self.lock:
            self.lags.append(ms)


class Connection:
    """One keep-alive connection with the cookies of one browser."""

    def __init__(self, port: int, recorder: Recorder | None = None) -> None:
        self.port = port
        self.recorder = recorder
        self.cookies: dict[str, str] = {}
        self.http: http.client.HTTPConnection | None = None
        self.last_used = 0.0

    def request(
        self,
        method: str,
        path: str,
        *,
        body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        """(status, body); status 0 when the connection dropped or timed out."""
        if self.http is not None and time.monotonic() - self.last_used > IDLE_RECONNECT:
            self.close()
            if self.recorder is not None:
                with self.recorder.lock:
                    self.recorder.reconnects += 1
        if self.http is None:
            self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        sent = {**(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.http.request(method, path, body=body, headers=sent)
            response = self.http.getresponse()
            content = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, ""
        finally:
            self.last_used = time.monotonic()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, content

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None


def timed(
    recorder: Recorder | None, kind: str, call: Callable[[], tuple[int, str]]
) -> tuple[int, str]:
    started = time.perf_counter()
    status, content = call()
    if recorder is not None:
        recorder.add(kind, (time.perf_counter() - started) * 1000, status)
    return status, content


# --- A simulated agent ------------------------------------------------------------------------


class Agent:
    """A browser tab of the workspace: its rows, its open conversation, its poller."""

    def __init__(
        self, port: int, session_key: str, rng: random.Random, recorder: Recorder | None
    ) -> None:
        self.connection = Connection(port, recorder)
        self.connection.cookies["sessionid"] = session_key
        self.origin = f"http://127.0.0.1:{port}"
        self.rng = rng
        self.recorder = recorder
        self.poller = ""  # the URL the poller asks next
        self.view = "all"
        self.shown: list[int] = []
        self.has_more = False
        self.open_id: int | None = None
        self.can_reply: str | None = None
        self.pending = False
        self.reply_form: tuple[str, str, str] | None = None  # action, csrf token, client_id
        self.replies = 0

    def get(self, kind: str, path: str, *, htmx: bool) -> tuple[int, str]:
        headers = {"Accept": "text/html"}
        if htmx:
            headers.update(HTMX)
            headers["X-CSRFToken"] = self.connection.cookies.get("csrftoken", "")
        return timed(
            self.recorder, kind, lambda: self.connection.request("GET", path, headers=headers)
        )

    def load(self) -> bool:
        status, page = self.get("page load (full)", "/inbox/", htmx=False)
        if status != 200:
            return False
        self.poller = poller_url(page) or self.poller
        state = live_state(page)
        self.shown = [int(v) for name, v in state if name == "shown"]
        self.has_more = any(name == "has_more" for name, _v in state)
        self.view = next((v for name, v in state if name == "view"), "all")
        return True

    def poll(self) -> None:
        params: list[tuple[str, str]] = [("view", self.view)]
        params += [("shown", str(pk)) for pk in self.shown]
        if self.has_more:
            params.append(("has_more", "1"))
        if self.open_id is not None:
            params.append(("open", str(self.open_id)))
        if self.can_reply is not None:
            params.append(("can_reply", self.can_reply))
        if self.pending:
            params.append(("pending", "1"))
        # As the page does: the poller's own URL, what the page shows in the body (POST).
        body = urlencode(params)
        if self.recorder is not None:
            self.recorder.longest_poll = max(self.recorder.longest_poll, len(self.poller))
        headers = {"Accept": "text/html", **HTMX}
        headers["X-CSRFToken"] = self.connection.cookies.get("csrftoken", "")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, answer = timed(
            self.recorder,
            "live poll",
            lambda: self.connection.request("POST", self.poller, body=body, headers=headers),
        )
        if status != 200:
            return  # 204 (nothing changed) or a failure: htmx keeps the poller as it is
        self.poller = poller_url(answer) or self.poller
        deleted = {int(pk) for pk in DELETED_ROW.findall(answer)}
        rows = [int(pk) for pk in ROW_ID.findall(answer)]
        new = [pk for pk in rows if pk not in self.shown or pk in deleted]
        self.shown = new + [pk for pk in self.shown if pk not in new]
        if 'id="thread-messages"' in answer:
            self.pending = 'name="pending"' in answer
        if 'id="composer"' in answer:
            self._read_composer(answer)

    def _read_composer(self, fragment: str) -> None:
        state = dict(live_state(fragment))
        self.can_reply = state.get("can_reply", self.can_reply)
        action, token, client = (
            REPLY_ACTION.search(fragment),
            CSRF_FIELD.search(fragment),
            CLIENT_ID.search(fragment),
        )
        self.reply_form = (
            (action.group(1), token.group(1), client.group(1))
            if action and token and client
            else None
        )

    def open(self) -> None:
        if not self.shown:
            return
        pk = self.rng.choice(self.shown[:40])
        status, fragment = self.get("open conversation (htmx)", f"/inbox/c/{pk}/", htmx=True)
        if status != 200:
            return
        self.open_id = pk
        self.pending = 'name="pending"' in fragment
        self.can_reply = None
        self._read_composer(fragment)

    def reply(self) -> None:
        for _attempt in range(3):  # an assignment-mode conversation of someone else: another
            if self.reply_form is not None:
                break
            self.open()
        if self.reply_form is None:
            if self.recorder is not None:
                self.recorder.add("reply skipped (no reply form)", 0.0, 200)
            return
        action, token, client_id = self.reply_form
        self.replies += 1
        body = urlencode({
            "csrfmiddlewaretoken": token,
            "client_id": client_id,
            "body": f"Danke für Ihre Nachricht, wir kümmern uns darum. (Lasttest {self.replies})",
        })  # fmt: skip
        headers = {
            **HTMX,
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.origin,
            "Referer": f"{self.origin}/inbox/c/{self.open_id}/",
            "X-CSRFToken": self.connection.cookies.get("csrftoken", token),
        }
        status, fragment = timed(
            self.recorder,
            "reply (htmx POST)",
            lambda: self.connection.request("POST", action, body=body, headers=headers),
        )
        self.reply_form = None
        if status == 200:
            self.pending = 'name="pending"' in fragment
            self._read_composer(fragment)

    def run(self, args: argparse.Namespace, start: float, deadline: float) -> None:
        """Until `deadline` (monotonic): load once, then poll, open and reply on schedule."""
        rng = self.rng
        time.sleep(max(0.0, start + rng.uniform(0, args.poll_seconds) - time.monotonic()))
        if not self.load():
            return
        now = time.monotonic()
        due = {
            "poll": now + args.poll_seconds,
            "open": now + rng.uniform(0, args.open_seconds),
            "reply": now + rng.uniform(args.open_seconds, args.open_seconds + args.reply_seconds),
        }
        while True:
            action, at = min(due.items(), key=lambda item: item[1])
            if at >= deadline:
                break
            wait = at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            elif self.recorder is not None:
                self.recorder.lag(-wait * 1000)
            if action == "poll":
                self.poll()
                # The poller fires `every N s` counted from its swap, that is after the answer.
                due["poll"] = time.monotonic() + args.poll_seconds
            elif action == "open":
                self.open()
                due["open"] = at + rng.uniform(0.5, 1.5) * args.open_seconds
            else:
                self.reply()
                due["reply"] = at + rng.uniform(0.5, 1.5) * args.reply_seconds
        self.connection.close()


# --- Inbound SMS ------------------------------------------------------------------------------


def sms_form(n: int, run: str, *, sender: str, to: str, base: str) -> tuple[str, str, str]:
    """(MessageSid, url-encoded form, X-Twilio-Signature) of one inbound SMS."""
    from twilio.request_validator import RequestValidator

    sid = f"SM{run}{n:024d}"
    params = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT,
        "From": sender,
        "To": to,
        "Body": f"Hallo, hier ist Nachricht {n}: wo bleibt meine Bestellung?",
        "NumMedia": "0",
        "NumSegments": "1",
        "FromCountry": "DE",
        "ToCountry": "DE",
        "ApiVersion": "2010-04-01",
    }
    signature = RequestValidator(TOKEN).compute_signature(base + webhooks.PATH, params)
    return sid, urlencode(params), signature


def send_sms(
    port: int,
    base: str,
    *,
    rate: float,
    start: float,
    deadline: float,
    numbers: list[str],
    repeat: list[str],
    recorder: Recorder | None,
    limit: int | None = None,
) -> set[str]:
    """Inbound SMS at `rate` per second from SMS_THREADS threads (each takes the next slot of
    the schedule); returns the MessageSids posted."""
    run = uuid.uuid4().hex[:8]
    rng = random.Random(run)
    slots = iter(range(10**9))
    posted: set[str] = set()
    lock = threading.Lock()

    def work() -> None:
        connection = Connection(port, recorder)
        while True:
            with lock:
                n = next(slots)
                if limit is not None and n >= limit:
                    break
                new = rng.random() < NEW_SENDER_SHARE
                sender = f"+49157{rng.randrange(10**8):08d}" if new else rng.choice(repeat)
                to = rng.choice(numbers)
            at = start + n / rate
            if at >= deadline:
                break
            wait = at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            elif recorder is not None:
                recorder.lag(-wait * 1000)
            sid, body, signature = sms_form(n, run, sender=sender, to=to, base=base)
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
                "User-Agent": "TwilioProxy/1.1",
            }
            started = time.perf_counter()
            status, _ = connection.request("POST", webhooks.PATH, body=body, headers=headers)
            if recorder is not None:
                recorder.add("inbound SMS webhook", (time.perf_counter() - started) * 1000, status)
            if status == 200:
                with lock:
                    posted.add(sid)
        connection.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(SMS_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic() + REQUEST_TIMEOUT + 5))
    return posted


# --- Processes: CPU and memory ----------------------------------------------------------------


class ProcessWatch:
    """Samples the gunicorn and Celery processes once a second: peak RSS per process (the
    larger of sampled VmRSS and VmHWM), also of workers that were replaced meanwhile."""

    def __init__(self, groups: dict[str, int]) -> None:
        self.groups = groups  # name: master pid
        self.peak: dict[int, tuple[str, float]] = {}  # pid: (group, MB)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def pids(self) -> dict[str, list[int]]:
        return {name: server_pids(master) for name, master in self.groups.items()}

    def sample(self) -> None:
        for name, pids in self.pids().items():
            for pid in pids:
                mb = max(status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM")) / 1024
                previous = self.peak.get(pid, (name, 0.0))[1]
                self.peak[pid] = (name, max(previous, mb))

    def _run(self) -> None:
        while not self.stopping.wait(1.0):
            self.sample()

    def __enter__(self) -> "ProcessWatch":
        self.sample()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.sample()


def status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class CpuAccount:
    """CPU seconds of process groups between two readings; PostgreSQL backends are listed
    anew at each reading (the pools open connections while the load runs)."""

    def __init__(self, watch: ProcessWatch, database: str) -> None:
        self.watch = watch
        self.database = database
        self.before: dict[str, dict[int, float]] = {}

    def groups(self) -> dict[str, list[int]]:
        return {**self.watch.pids(), "PostgreSQL backends": database_backends(self.database)}

    def start(self) -> None:
        self.before = {
            name: {pid: cpu_seconds([pid]) for pid in pids} for name, pids in self.groups().items()
        }

    def used(self) -> dict[str, float]:
        used = {}
        for name, pids in self.groups().items():
            before = self.before.get(name, {})
            used[name] = sum(cpu_seconds([pid]) - before.get(pid, 0.0) for pid in pids)
        return used


def database_backends(database: str) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        return [pid for (pid,) in cursor.fetchall()]


# --- Set-up -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=50, help="simulated agents")
    parser.add_argument("--duration", type=float, default=180, help="seconds of load")
    parser.add_argument("--sms-rate", type=float, default=5.0, help="inbound SMS per second")
    parser.add_argument("--poll-seconds", type=float, default=5.0, help="live poll interval")
    parser.add_argument("--open-seconds", type=float, default=20.0, help="mean time between opens")
    parser.add_argument("--reply-seconds", type=float, default=60.0, help="mean between replies")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument(
        "--gunicorn-arg",
        dest="gunicorn_args",
        action="append",
        metavar="ARG",
        help="one more gunicorn flag, e.g. --gunicorn-arg=--limit-request-line=8190 (repeatable)",
    )
    parser.add_argument("--routers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument(
        "--template", default=DEFAULT_TEMPLATE, help="database copied when ours is missing"
    )
    parser.add_argument("--fresh", action="store_true", help="copy the template again first")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="its database is flushed")
    parser.add_argument(
        "--calibrate",
        type=int,
        default=40,
        metavar="N",
        help="then send each request type N times alone to attribute CPU (0: skip)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=int,
        default=300,
        metavar="SECONDS",
        help="wait at most this long for other processes to leave the CPUs alone",
    )
    args = parser.parse_args()
    if not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be between 0 and {MAX_DURATION} seconds")
    if not 0 < args.agents <= MAX_AGENTS:
        parser.error(f"--agents must be between 1 and {MAX_AGENTS}")
    if not 0 <= args.sms_rate <= MAX_SMS_RATE:
        parser.error(f"--sms-rate must be between 0 and {MAX_SMS_RATE:g}")
    if min(args.poll_seconds, args.open_seconds, args.reply_seconds) < 0.5:
        parser.error("the intervals must be at least 0.5 s")
    return args


def copy_database(url: str, name: str, template: str, *, fresh: bool) -> None:
    """Our database as a copy of `template` when it is missing (or with `fresh`)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    maintenance = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not fresh:
            return
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone():
            sys.exit(
                f"The template database {template!r} is missing: fill it first with"
                " `.venv/bin/python benchmarks/inbox.py --fill-only`."
            )
        if exists:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        started = time.perf_counter()
        print(f"Copying {template} to {name} …", flush=True)
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
        print(f"Copied in {time.perf_counter() - started:.0f} s.", flush=True)


def prepare(agents: int) -> tuple[list[str], list[str], list[str]]:
    """Migrate and collect the static files; `agents` agent users in both demo inboxes with a
    fresh session each. Returns (session keys, our SMS numbers, phone numbers of existing
    SMS conversations)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from accounts.models import Role, User
    from inbox.models import Conversation, Inbox, InboxChannel, Membership

    call_command("migrate", verbosity=0)
    # DEBUG off serves static files through the manifest, which collectstatic writes (var/).
    call_command("collectstatic", interactive=False, verbosity=0)
    inboxes = list(Inbox.objects.filter(name__in=DEMO_INBOXES))
    if len(inboxes) != len(DEMO_INBOXES):
        sys.exit(f"The demo inboxes {DEMO_INBOXES} are missing: is this a seed_demo database?")
    # The first configured backend that can load users, as django.test.Client.force_login
    # picks it (the session names the backend that logged the user in).
    backend = next(
        path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")
    )
    keys = []
    for n in range(agents):
        user = User.objects.filter(email=AGENT_EMAIL.format(n)).first()
        if user is None:
            user = User.objects.create_user(
                AGENT_EMAIL.format(n),
                password=None,
                display_name=f"Load Agent {n}",
                role=Role.AGENT,
            )
        for inbox in inboxes:
            Membership.objects.get_or_create(inbox=inbox, user=user)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(str(session.session_key))
    numbers = sorted(
        set(
            InboxChannel.objects.filter(inbox__in=inboxes, kind="sms").values_list(
                "address", flat=True
            )
        )
    )
    if not numbers:
        sys.exit("The demo inboxes own no SMS number.")
    repeat = list(
        Conversation.objects.filter(inbox__in=inboxes, channel="sms", address__startswith="+49")
        .order_by("?")
        .values_list("address", flat=True)[:300]
    )
    return keys, numbers, repeat or ["+4915112345678"]


# --- The run ----------------------------------------------------------------------------------


def run_load(
    args: argparse.Namespace, port: int, keys: list[str], numbers: list[str], repeat: list[str]
) -> tuple[Recorder, float, set[str]]:
    recorder = Recorder()
    agents = [Agent(port, key, random.Random(n), recorder) for n, key in enumerate(keys)]
    start = time.monotonic() + 0.5
    deadline = start + args.duration
    threads = [
        threading.Thread(target=agent.run, args=(args, start, deadline), daemon=True)
        for agent in agents
    ]
    posted: set[str] = set()

    def sms() -> None:
        posted.update(
            send_sms(port, f"http://127.0.0.1:{port}", rate=args.sms_rate, start=start,
                     deadline=deadline, numbers=numbers, repeat=repeat, recorder=recorder)
        )  # fmt: skip

    if args.sms_rate > 0:
        threads.append(threading.Thread(target=sms, daemon=True))
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic() + REQUEST_TIMEOUT + 10))
    return recorder, time.perf_counter() - began, posted


def warm_up(port: int, keys: list[str], numbers: list[str], repeat: list[str]) -> None:
    """Every gunicorn worker imports and compiles its templates, opens its pool."""
    agent = Agent(port, keys[0], random.Random(), None)
    for _ in range(6):
        if not agent.load():
            status, page = agent.connection.request("GET", "/inbox/")
            sys.exit(f"The warm-up could not load /inbox/ with an agent's session: {status}\n"
                     f"{page[:800]}")  # fmt: skip
        agent.poll()
        agent.open()
    start = time.monotonic()
    send_sms(port, f"http://127.0.0.1:{port}", rate=20, start=start, deadline=start + 10,
             numbers=numbers, repeat=repeat, recorder=None, limit=20)  # fmt: skip


def calibrate(
    args: argparse.Namespace,
    port: int,
    keys: list[str],
    numbers: list[str],
    repeat: list[str],
    account: CpuAccount,
) -> dict[str, tuple[int, dict[str, float]]]:
    """Each request type alone, one request at a time: CPU seconds per group while it ran
    (and until the worker is idle again)."""
    agent = Agent(port, keys[-1], random.Random(99), None)
    agent.load()
    agent.open()
    count = args.calibrate
    actions: dict[str, Callable[[], object]] = {
        "page load (full)": agent.load,
        "live poll": agent.poll,
        "open conversation (htmx)": agent.open,
        "reply (htmx POST)": agent.reply,
    }
    measured = {}
    for kind, action in actions.items():
        account.start()
        for _ in range(count):
            action()
        wait_for_idle(account)
        measured[kind] = (count, account.used())
    account.start()
    start = time.monotonic()
    send_sms(port, f"http://127.0.0.1:{port}", rate=1000, start=start, deadline=start + 60,
             numbers=numbers, repeat=repeat, recorder=None, limit=count)  # fmt: skip
    wait_for_idle(account)
    measured["inbound SMS webhook"] = (count, account.used())
    return measured


def wait_for_idle(account: CpuAccount, limit: float = 15.0) -> None:
    """Until the Celery worker has used no CPU for half a second (its tasks are done)."""
    deadline = time.monotonic() + limit
    last = account.used().get("celery", 0.0)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = account.used().get("celery", 0.0)
        if now - last < 0.005:
            return
        last = now


def main() -> int:
    args = parse_args()
    parts = urlsplit(args.database_url)
    if parts.scheme not in {"postgres", "postgresql"} or parts.hostname not in LOCAL_HOSTS:
        sys.exit(f"--database-url must name PostgreSQL on this machine, got {args.database_url}")
    database = parts.path.lstrip("/")
    if "bench" not in database or "bench" not in args.template:
        sys.exit(f"Refusing to use {database!r}: the database names must contain 'bench'.")
    if urlsplit(args.redis_url).hostname not in LOCAL_HOSTS:
        sys.exit(f"--redis-url must name Redis on this machine, got {args.redis_url}")
    copy_database(args.database_url, database, args.template, fresh=args.fresh)
    # A queue of our own, and e-mail replies that go nowhere (SMTP on localhost would refuse
    # and retry); SMS and WhatsApp replies go to the console channel (webhooks.py's setting).
    webhooks.QUEUE = QUEUE
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    webhooks.setup_django(args.database_url, base)
    keys, numbers, repeat = prepare(args.agents)

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), (SELECT count(*) FROM inbox_conversation),"
            " (SELECT count(*) FROM contacts_contact)"
        )
        version, conversations, contacts = cursor.fetchone()
    print(f"PostgreSQL {version}; {conversations:,} conversations, {contacts:,} contacts; "
          f"SMS numbers {', '.join(numbers)}", flush=True)  # fmt: skip

    flush_redis(args.redis_url)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = start_gunicorn(args, port)
    router = None
    try:
        router = start_router(args, port)  # inside: gunicorn stops also when this fails
        wait_until_up(port, server)
        warm_up(port, keys, numbers, repeat)
        with ProcessWatch({"gunicorn": server.pid, "celery": router.pid}) as watch:
            account = CpuAccount(watch, database)
            meter = CpuMeter(backend_pid=os.getpid())
            meter.wait_for_quiet(limit_seconds=args.quiet_wait)
            meter.pids = [os.getpid(), *(p for pids in account.groups().values() for p in pids)]
            meter.others_share()
            steal_before = steal_ticks()
            client_before = cpu_seconds([os.getpid()])
            account.start()
            print(f"Load: {args.agents} agents, {args.sms_rate:g} SMS/s for {args.duration:g} s …",
                  flush=True)  # fmt: skip
            recorder, elapsed, posted = run_load(args, port, keys, numbers, repeat)
            cpu = account.used()
            cpu["client (this process)"] = cpu_seconds([os.getpid()]) - client_before
            # The pools opened backends meanwhile: they are ours too, not other processes.
            meter.pids = sorted({*meter.pids, *(p for ps in account.groups().values() for p in ps)})
            others, stolen = meter.others_share(), steal_share(steal_before, steal_ticks())
            routed = webhooks.wait_for_routing(posted, time.perf_counter() - elapsed)
            calibration = (
                calibrate(args, port, keys, numbers, repeat, account) if args.calibrate else {}
            )
    finally:
        stop(server)
        if router is not None:
            stop(router)
    return report(args, recorder, elapsed, cpu, watch, calibration,
                  others=others, stolen=stolen, posted=posted, routed=routed)  # fmt: skip


def report(
    args: argparse.Namespace,
    recorder: Recorder,
    elapsed: float,
    cpu: dict[str, float],
    watch: ProcessWatch,
    calibration: dict[str, tuple[int, dict[str, float]]],
    *,
    others: float,
    stolen: float,
    posted: set[str],
    routed: float,
) -> int:
    results = recorder.results
    header(
        f"{args.agents} agents + {args.sms_rate:g} SMS/s for {elapsed:.0f} s; gunicorn"
        f" {args.workers} x {args.threads} ({args.worker_class}), Celery {args.routers} processes;"
        f" {os.cpu_count()} CPUs; other processes used {others:.0%} of the CPUs, steal {stolen:.0%}"
    )
    print("  latency in ms of the answers that count (200, 204); errors: any other status")
    print(f"  {'request type':<30} {'n':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}"
          f" {'errors':>6} {'dropped':>7}   p95 < {TARGET_P95_MS:g} ms")  # fmt: skip
    failed = False
    total = 0
    failures: list[str] = []
    for kind, values in sorted(results.items()):
        if kind.startswith("reply skipped"):
            print(f"  {kind:<30} {len(values):>6}")
            continue
        total += len(values)
        # Latency of the answers that count (a fast error would flatter the percentiles).
        latencies = [ms for ms, status in values if status in OK] or [ms for ms, _s in values]
        p50, p95, p99 = (percentile(latencies, p) for p in (0.50, 0.95, 0.99))
        errors = sum(1 for _ms, status in values if status not in (0, *OK))
        dropped = sum(1 for _ms, status in values if status == 0)
        met = p95 < TARGET_P95_MS and not errors and not dropped
        failed = failed or not met
        verdict = "met" if met else "MISSED"
        print(f"  {kind:<30} {len(values):>6} {p50:>7.1f} {p95:>7.1f} {p99:>7.1f}"
              f" {max(latencies):>7.1f} {errors:>6} {dropped:>7}   {verdict}")  # fmt: skip
        if errors:
            statuses = Counter(status for _ms, status in values if status not in (0, *OK))
            failures.append(f"{kind}: " + ", ".join(f"{n} x {s}" for s, n in statuses.items()))
    for failure in failures:
        print(f"  errors of {failure}")
    polls = [status for _ms, status in results.get("live poll", [])]
    if polls:
        print(f"  live poll answers: {polls.count(200)} x 200 (changes), {polls.count(204)} x 204"
              f" (nothing changed); longest URL {recorder.longest_poll} characters")  # fmt: skip
    lags = recorder.lags
    if lags:
        print(f"  client lag behind schedule: {len(lags)} late starts, p95"
              f" {percentile(lags, 0.95):.0f} ms, max {max(lags):.0f} ms")  # fmt: skip
    print(f"  idle keep-alive connections reopened: {recorder.reconnects}")
    if math.isnan(routed):
        print(f"  inbound SMS accepted: {len(posted)}; NOT all routed into messages in time")
    else:
        print(f"  inbound SMS accepted: {len(posted)}; every one a message {routed:.1f} s"
              " after the first post")  # fmt: skip

    header(f"CPU seconds over the run ({total} requests, {total / elapsed:.1f}/s)")
    for name, seconds in cpu.items():
        print(f"  {name:<22} {seconds:7.1f} s = {seconds / elapsed:5.0%} of one CPU,"
              f" {seconds / max(1, total) * 1000:6.1f} ms per request")  # fmt: skip
    if calibration:
        header("CPU ms per request of each type sent alone (gunicorn / Celery / PostgreSQL)")
        for kind, (count, used) in calibration.items():
            g, c, p = (used.get(k, 0.0) / count * 1000 for k in
                       ("gunicorn", "celery", "PostgreSQL backends"))  # fmt: skip
            print(f"  {kind:<30} {g:6.1f} / {c:6.1f} / {p:6.1f}   (n={count})")

    header(f"Peak RSS per process (VmHWM, sampled VmRSS); target ≤ {TARGET_RSS_MB:g} MB each")
    for pid, (group, mb) in sorted(watch.peak.items(), key=lambda item: (item[1][0], item[0])):
        over = mb > TARGET_RSS_MB
        failed = failed or over
        print(f"  {group:<8} pid {pid:<8} {mb:7.1f} MB   {'MISSED' if over else 'met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
