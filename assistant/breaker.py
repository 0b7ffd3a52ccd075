"""A circuit breaker in the cache (Redis in production, so every process agrees): after
FAILURES_TO_OPEN failed requests in a row (timeouts, 429s, connection errors, 5xx), the
assistant is paused for COOL_DOWN_SECONDS — its buttons disappear and no request is made —
then it tries again. A success closes it and clears the count. An answer that fails our own
checks is the model's fault, not the provider's, and does not count.

The cache is Redis whenever REDIS_URL is set, so the web processes and the workers share one
state; without Redis (development, tasks in-process) each process keeps its own. Redis down
must neither break a page nor a request: every operation here gives up quietly (the breaker
then counts as closed)."""

import time

from django.core.cache import cache

FAILURES_TO_OPEN = 3
COOL_DOWN_SECONDS = 300
FAILURES_KEY = "assistant:breaker:failures"
OPEN_KEY = "assistant:breaker:open-until"


def is_open() -> bool:
    try:
        until = cache.get(OPEN_KEY)
    except Exception:  # the cache down must not take the pages with it
        return False
    return bool(until and until > time.time())


def open_until() -> float | None:
    try:
        until = cache.get(OPEN_KEY)
    except Exception:
        return None
    return until if until and until > time.time() else None


def record_failure() -> None:
    try:
        cache.add(FAILURES_KEY, 0, timeout=COOL_DOWN_SECONDS * 2)
        try:
            failures = cache.incr(FAILURES_KEY)
        except ValueError:  # expired between add and incr
            cache.set(FAILURES_KEY, 1, timeout=COOL_DOWN_SECONDS * 2)
            failures = 1
        if failures >= FAILURES_TO_OPEN:
            cache.set(OPEN_KEY, time.time() + COOL_DOWN_SECONDS, timeout=COOL_DOWN_SECONDS)
            cache.delete(FAILURES_KEY)
    except Exception:  # the cache down: nothing to count in
        return


def record_success() -> None:
    try:
        cache.delete_many([FAILURES_KEY, OPEN_KEY])
    except Exception:
        return
