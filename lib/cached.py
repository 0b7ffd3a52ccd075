"""Small, rarely changed rows kept in the cache between requests (the organisation, the
attribute definitions): read on every page, written by an admin now and then.

A value is dropped after the writing transaction commits (`forget_on_commit`), so the next
read loads it afresh; it also expires on its own after a few minutes. When the cache cannot
answer, the value is simply computed — the database stays the record.
"""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

from lib.memo import forget, memoised

logger = logging.getLogger(__name__)

T = TypeVar("T")
TIMEOUT = 300
PREFIX = "cached:"


def cached(key: str, compute: Callable[[], T]) -> T:
    """The value under `key`: from this request's memo, the cache, or `compute()`."""
    return memoised(("cached", key), lambda: _from_cache(key, compute))


def _from_cache(key: str, compute: Callable[[], T]) -> T:
    try:
        value: Any = cache.get(PREFIX + key)
    except Exception:
        logger.warning("Cache unavailable; computing %s", key)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(PREFIX + key, value, TIMEOUT)
        except Exception:
            logger.warning("Cache unavailable; %s not kept", key)
    return value


def forget_on_commit(key: str) -> None:
    """The value under `key` changed in this transaction: drop it now from the request's
    memo and, once committed, from the cache (also at once, so no reader keeps it)."""
    forget(("cached", key))
    _drop(key)
    transaction.on_commit(lambda: _drop(key), robust=True)


def _drop(key: str) -> None:
    try:
        cache.delete(PREFIX + key)
    except Exception:
        logger.warning("Cache unavailable; %s expires on its own", key)
