"""Version stamps in the cache (Redis when configured): a value per key that changes
whenever what it stands for changes. A reader compares the stamps it saw last with the
current ones and skips all work when none moved — the idle live poll answers this way
without touching the database.

Stamps are hints, never the record: a stamp that cannot be read (the cache is down, the key
was evicted) reads as unknown, and the caller then does the full, database-backed work.
"""

import logging
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

PREFIX = "stamp:"
MISSING = "-"


def bump_on_commit(keys: Iterable[str]) -> None:
    """Move the stamps of `keys` now and again once the current transaction commits (once
    outside one): a reader that sees the last stamp also sees the committed change, and
    this transaction's own later reads (and a test's, whose transaction never commits)
    already see a moved one. A reader in between works for nothing, never keeps a stale
    answer: the commit moves the stamp past whatever it kept."""
    keys = sorted(set(keys))
    if not keys:
        return
    if transaction.get_connection().in_atomic_block:
        bump(keys)
    transaction.on_commit(lambda: bump(keys), robust=True)


def bump(keys: Iterable[str]) -> str | None:
    """Move the stamps of `keys` now; their new value, or None when the cache is down."""
    value = secrets.token_hex(6)
    try:
        cache.set_many({PREFIX + key: value for key in keys}, timeout=None)
    except Exception:
        # Readers see an unchanged stamp only while the cache keeps the old one; a cache that
        # is down answers nothing, so they fall back to the full check anyway.
        logger.warning("Could not bump stamps %s", list(keys), exc_info=True)
        return None
    return value


def read(keys: list[str]) -> str | None:
    """The current stamps of `keys` as one string, or None when the cache cannot answer."""
    return read_with(keys, None)[0]


def read_with(keys: list[str], cache_key: str | None) -> tuple[str | None, Any]:
    """The current stamps of `keys` as one string and the value kept under `cache_key`, in
    one round trip: (None, None) when the cache cannot answer."""
    wanted = [PREFIX + key for key in keys]
    try:
        found = cache.get_many([*wanted, cache_key] if cache_key else wanted)
    except Exception:
        logger.warning("Could not read stamps", exc_info=True)
        return None, None
    value = found.get(cache_key) if cache_key else None
    return ".".join(str(found.get(key, MISSING)) for key in wanted), value
