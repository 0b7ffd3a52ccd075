"""Heartbeats of the processes that have no HTTP port: beat and the workers of each queue.

Beat writes `beat` on every scheduler tick (config.beat.HeartbeatScheduler); it also sends the
`lib.tasks.heartbeat` task to every queue twice a minute, and the worker that runs it writes
`queue:<name>` together with how long the task waited in the queue. Both live in Redis, where
the web app (Settings → System) and the compose health checks read them; nothing here needs
Django, so a health check stays a fraction of a second:

    python -m lib.heartbeats beat --max-age 60        # exit 0 when beat ticked within 60 s
    python -m lib.heartbeats queue:send --max-age 90
"""

import argparse
import json
import os
import sys
import time
from typing import Any

KEY = "switchboard:heartbeat:{prefix}{name}"
# A heartbeat older than this has stopped: beat ticks at least every few seconds and sends
# the queue heartbeats every 30 s.
TTL_SECONDS = 600


def client(redis_url: str) -> Any:
    """A Redis client that gives up within a second (health checks, status pages)."""
    import redis

    return redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)


def _key(name: str) -> str:
    prefix = os.environ.get("CELERY_QUEUE", "")
    return KEY.format(prefix=f"{prefix}." if prefix else "", name=name)


def beat(redis_url: str, name: str, **details: Any) -> None:
    """Record that `name` is alive now, with `details` (JSON) beside the time."""
    payload = json.dumps({"at": time.time(), **details})
    client(redis_url).set(_key(name), payload, ex=TTL_SECONDS)


def last_seen(redis_url: str, names: list[str]) -> dict[str, dict[str, Any] | None]:
    """The last heartbeat of each name ({"at": unix time, …}), None for none in 10 minutes.
    Raises the Redis client's error when Redis does not answer."""
    if not names:
        return {}
    values = client(redis_url).mget([_key(name) for name in names])
    seen: dict[str, dict[str, Any] | None] = {}
    for name, value in zip(names, values, strict=True):
        try:
            seen[name] = json.loads(value) if value else None
        except (TypeError, ValueError):
            seen[name] = None
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Exit 0 when a heartbeat is fresh.")
    parser.add_argument("name", help="beat, or queue:<name>")
    parser.add_argument("--max-age", type=float, default=60.0, help="seconds (default 60)")
    args = parser.parse_args(argv)
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        sys.stderr.write("REDIS_URL is not set\n")
        return 2
    try:
        seen = last_seen(redis_url, [args.name])[args.name]
    except Exception as exc:
        sys.stderr.write(f"Redis did not answer: {type(exc).__name__}\n")
        return 1
    if seen is None:
        sys.stderr.write(f"no heartbeat from {args.name}\n")
        return 1
    age = time.time() - float(seen["at"])
    if age > args.max_age:
        sys.stderr.write(f"{args.name}: last heartbeat {age:.0f} s ago\n")
        return 1
    sys.stdout.write(f"{args.name}: alive ({age:.1f} s ago)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
