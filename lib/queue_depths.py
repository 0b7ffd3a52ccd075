"""How many tasks wait in each workload's queue, and for how long the oldest has waited — read
straight from the broker's Redis lists, for Settings → System and the /metrics gauge.

kombu's Redis transport keeps one list per priority step ("<queue>", "<queue>\\x06\\x163", …);
tasks are pushed on the left and taken from the right, so the oldest is the last element, and
config.celery stamps each with `sent_at` when it is published."""

import json
from typing import Any

from django.conf import settings

from lib import heartbeats

KOMBU_PRIORITY_STEPS = [0, 3, 6, 9]
KOMBU_SEP = "\x06\x16"


def redis_client() -> Any:
    return heartbeats.client(settings.REDIS_URL)


def priority_lists(queue: str) -> list[str]:
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    steps = options.get("priority_steps", KOMBU_PRIORITY_STEPS)
    sep = options.get("sep", KOMBU_SEP)
    return [queue if step == 0 else f"{queue}{sep}{step}" for step in steps]


def sent_at(raw: bytes | str | None) -> float | None:
    """The `sent_at` stamp (config.celery) of a task as kombu keeps it in Redis."""
    if not raw:
        return None
    try:
        return float(json.loads(raw)["headers"]["sent_at"])
    except (ValueError, TypeError, KeyError):
        return None


def read(client: Any, now: float) -> dict[str, tuple[int, float | None]]:
    """{workload: (tasks waiting, age of the oldest in seconds or None)}, in one round trip."""
    workloads = settings.CELERY_WORKLOAD_QUEUES
    pipe = client.pipeline(transaction=False)
    layout = []
    for workload, queue in workloads.items():
        for key in priority_lists(queue):
            pipe.llen(key)
            pipe.lindex(key, -1)
            layout.append(workload)
    replies = pipe.execute()
    found: dict[str, tuple[int, float | None]] = {w: (0, None) for w in workloads}
    for index, workload in enumerate(layout):
        length, last = replies[2 * index], replies[2 * index + 1]
        depth, oldest = found[workload]
        stamp = sent_at(last)
        if stamp is not None:
            age = max(0.0, now - stamp)
            oldest = age if oldest is None else max(oldest, age)
        found[workload] = (depth + int(length or 0), oldest)
    return found
