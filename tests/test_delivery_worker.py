"""Nothing lost, nothing sent twice — with real processes (DESIGN.md §6, issue 5).

A real Celery worker process (`celery -A config worker`) on a private redis-server, sending to
the fake Twilio API over HTTP, against this test's PostgreSQL database:

- a worker SIGKILLed while Twilio holds the request (the provider has the message, the worker
  never recorded it) leads to exactly one send after a new worker starts and the task is
  redelivered;
- with Redis stopped, replies are accepted and stored `queued`, and are sent once Redis is back.

PostgreSQL and Redis only (the worker is another process and needs a shared database); CI has
both. A private redis-server keeps the machine's Redis running for everything else.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import kombu.pools
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from inbox import actions, delivery
from inbox.channels import SendResult
from inbox.models import DeliveryStatus, InboxChannel, Message
from inbox.tasks import sweep_queued_messages
from tests.factories import inbound, inbox_with

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = shutil.which("redis-server")

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
        or not os.environ.get("REDIS_URL")
        or REDIS_SERVER is None,
        reason="needs PostgreSQL, Redis and redis-server (a worker process shares the database)",
    ),
]


def wait_for(check: Callable[[], object], timeout: float = 30, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or check}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Redis:
    """A private redis-server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, "redis-server to start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *args: str) -> str:
        out = subprocess.run(
            ["redis-cli", "-p", str(self.port), *args], capture_output=True, check=True
        )
        return out.stdout.decode().strip()


@pytest.fixture
def redis() -> Iterator[Redis]:
    server = Redis()
    server.start()
    yield server
    server.stop()


@contextmanager
def publishing_to(url: str) -> Iterator[None]:
    """Point this process's Celery app (the web side) at `url` and publish for real."""
    old_url, old_eager = celery_app.conf.broker_url, celery_app.conf.task_always_eager

    def reset_pools() -> None:
        kombu.pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = False
    reset_pools()
    try:
        yield
    finally:
        reset_pools()
        celery_app.conf.broker_url = old_url
        celery_app.conf.task_always_eager = old_eager


@pytest.fixture
def start_worker(fake_twilio, redis, tmp_path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start `celery -A config worker` processes on the private Redis and this test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis.url,
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
        "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
        "TWILIO_API_BASE_URL": fake_twilio.url,
        # An unacknowledged task comes back this soon after its worker died.
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "DEBUG": "false",
    }
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        log_path = tmp_path / f"worker-{len(started)}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log_path = log_path  # type: ignore[attr-defined]
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    for path in sorted(tmp_path.glob("worker-*.log")):
        sys.stderr.write(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}\n")


@pytest.fixture
def conversation(transactional_db, alice):
    inbox = inbox_with("Service", "open", members=[alice])
    number = InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")
    return inbound(inbox, inbox_channel=number).conversation


def status_of(message: Message) -> str:
    return Message.objects.get(pk=message.pk).status


def test_a_worker_killed_mid_send_leads_to_exactly_one_send(
    conversation, alice, redis, fake_twilio, start_worker
):
    release = fake_twilio.then_hang()  # Twilio takes the message and holds the answer
    first = start_worker()
    with publishing_to(redis.url):
        message = actions.reply(conversation, body="Ihr Paket kommt morgen.", actor=alice)

    wait_for(lambda: fake_twilio.accepted, what="the worker to reach Twilio")
    assert status_of(message) == DeliveryStatus.SENDING
    os.killpg(first.pid, signal.SIGKILL)  # a real SIGKILL: no acknowledgement, no cleanup
    first.wait(10)
    release.set()
    assert redis.command("HLEN", "unacked") == "1"  # the task is still owed

    time.sleep(4)  # past the visibility timeout: a worker starting now takes the task back
    second = start_worker()
    # The new worker gets the task back, runs it, finds the row
    # already claimed and sends nothing; the broker is then empty.
    wait_for(
        lambda: (
            redis.command("HLEN", "unacked") == "0" and redis.command("LLEN", "switchboard") == "0"
        ),
        60,
        "the redelivered task to run",
    )
    wait_for(lambda: "succeeded" in second.log_path.read_text(), 10, "the task to finish")
    assert "inbox.tasks.deliver_message" in second.log_path.read_text()
    assert len(fake_twilio.accepted) == 1

    # The sweeper later shows the agent that the send's fate is unknown (never resent) …
    Message.objects.filter(pk=message.pk).update(
        attempted_at=timezone.now() - delivery.STALE_SENDING - timedelta(seconds=1)
    )
    sweep_queued_messages()
    assert status_of(message) == DeliveryStatus.UNKNOWN
    # … until Twilio's status callback for it settles it.
    delivery.record_status(
        Message.objects.get(pk=message.pk), "delivered", learned=SendResult("twilio", "SMx")
    )
    assert status_of(message) == DeliveryStatus.DELIVERED
    assert len(fake_twilio.accepted) == 1


def test_with_redis_down_replies_are_stored_queued_and_sent_when_it_returns(
    conversation, alice, client_for, redis, fake_twilio, start_worker
):
    start_worker()
    client = client_for(alice)
    with publishing_to(redis.url):
        redis.stop()

        started = time.monotonic()
        response = client.post(
            f"/inbox/c/{conversation.pk}/reply/",
            {"body": "Wir sind gleich für Sie da."},
            headers={"HX-Request": "true"},
        )
        took = time.monotonic() - started

        assert response.status_code == 200
        assert took < 5, f"the reply waited {took:.1f} s for the broker"
        message = Message.objects.get(conversation=conversation, direction="out")
        assert message.status == DeliveryStatus.QUEUED
        time.sleep(1)
        assert not fake_twilio.requests

        redis.start()  # back, empty: the task was never published
        # Beat runs the sweeper every minute; here the minute has passed.
        Message.objects.filter(pk=message.pk).update(
            due_at=timezone.now() - delivery.SWEEP_GRACE - timedelta(seconds=1)
        )
        assert sweep_queued_messages() == 1

        wait_for(lambda: status_of(message) == DeliveryStatus.SENT, 60, "the reply to be sent")
    assert fake_twilio.bodies() == ["Wir sind gleich für Sie da."]
