"""What Settings → System shows: are beat and the workers alive (lib.heartbeats), how long is
each queue and how old its oldest task, how many messages are stuck, how the providers are
configured, which version runs.

Redis is read with short timeouts and its trouble is reported, never raised: the page must
answer while Redis is down (that is when it is needed). Without REDIS_URL there is no broker
at all — tasks run in-process — and the page says so."""

import subprocess
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings

from lib import heartbeats, queue_depths
from operations import providers, queries

# Beat ticks every few seconds and sends the queue heartbeats every 30 s (config.beat).
BEAT_MAX_AGE = 60.0
QUEUE_MAX_AGE = 120.0
# kombu's Redis transport keeps a queue's priorities in lists of their own beside the queue's
# ("<queue>\x06\x163" …, kombu.transport.redis.Channel._q_for_pri); priority 0 is the queue.
# requeue_outbound's default: older than this, a queued message missed its sweeper.
STUCK_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Heartbeat:
    name: str
    age: float | None  # seconds since the last one; None: none in ten minutes
    max_age: float
    waited: float | None = None  # queue heartbeats: how long the heartbeat task waited

    @property
    def alive(self) -> bool:
        return self.age is not None and self.age <= self.max_age


@dataclass(frozen=True)
class Queue:
    workload: str
    name: str
    depth: int
    oldest_age: float | None  # seconds the oldest waiting task has waited; None: unknown
    heartbeat: Heartbeat


@dataclass
class SystemStatus:
    broker: str  # "none" (tasks in-process), "ok" or "down"
    broker_error: str = ""
    beat: Heartbeat | None = None
    queues: list[Queue] = field(default_factory=list)
    stuck_queued: queries.Count | None = None
    unknown: queries.Count | None = None
    unrouted: queries.Count | None = None
    pending: queries.Count | None = None
    configuration: providers.Configuration | None = None
    version: str = ""


_redis = queue_depths.redis_client
sent_at = queue_depths.sent_at


def _heartbeat(name: str, seen: dict[str, Any] | None, max_age: float, now: float) -> Heartbeat:
    if not seen:
        return Heartbeat(name, None, max_age)
    try:
        age = max(0.0, now - float(seen["at"]))
    except (KeyError, TypeError, ValueError):
        return Heartbeat(name, None, max_age)
    waited = seen.get("waited")
    return Heartbeat(name, age, max_age, float(waited) if isinstance(waited, int | float) else None)


def read_queues(client: Any, now: float) -> tuple[dict[str, tuple[int, float | None]], dict]:
    """{workload: (depth, oldest age)} and the heartbeats, in two round trips."""
    found = queue_depths.read(client, now)
    workloads = settings.CELERY_WORKLOAD_QUEUES
    names = ["beat", *(f"queue:{workload}" for workload in workloads)]
    seen = heartbeats.last_seen(settings.REDIS_URL, names)
    return found, seen


@cache
def version() -> str:
    """The package version, with `git describe` when the code is a git checkout."""
    try:
        base = metadata.version("switchboard")
    except metadata.PackageNotFoundError:
        base = "?"
    root = Path(settings.BASE_DIR)
    if not (root / ".git").exists():
        return base
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],  # noqa: S607
            cwd=root,
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        described = ""
    return f"{base} ({described})" if described else base


def system_status() -> SystemStatus:
    status = SystemStatus(broker="none" if not settings.REDIS_URL else "ok")
    if settings.REDIS_URL:
        now = time.time()
        try:
            depths, seen = read_queues(_redis(), now)
        except Exception as exc:  # Redis down or refusing: say so, never a 500
            status.broker = "down"
            status.broker_error = type(exc).__name__
        else:
            status.beat = _heartbeat("beat", seen.get("beat"), BEAT_MAX_AGE, now)
            for workload, queue in settings.CELERY_WORKLOAD_QUEUES.items():
                depth, oldest = depths[workload]
                beat = _heartbeat(workload, seen.get(f"queue:{workload}"), QUEUE_MAX_AGE, now)
                status.queues.append(Queue(workload, queue, depth, oldest, beat))
    status.stuck_queued = queries.capped_count(queries.stuck_queued(STUCK_AFTER))
    status.unknown = queries.capped_count(queries.recent_unknown_outcome())
    status.unrouted = queries.capped_count(queries.recent_unrouted_events())
    status.pending = queries.capped_count(queries.pending_events())
    status.configuration = providers.configuration()
    status.version = version()
    return status
