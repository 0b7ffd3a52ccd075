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

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

PREFIX = "stamp:"
MISSING = "-"


def bump_on_commit(keys: Iterable[str]) -> None:
    """Move the stamps of `keys` once the current transaction commits (at once outside
    one): a reader that sees the new stamp then also sees the committed change."""
    keys = sorted(set(keys))
    if keys:
        transaction.on_commit(lambda: bump(keys), robust=True)


def bump(keys: Iterable[str]) -> None:
    value = secrets.token_hex(6)
    try:
        cache.set_many({PREFIX + key: value for key in keys}, timeout=None)
    except Exception:
        # Readers see an unchanged stamp only while the cache keeps the old one; a cache that
        # is down answers nothing, so they fall back to the full check anyway.
        logger.warning("Could not bump stamps %s", list(keys), exc_info=True)


def read(keys: list[str]) -> str | None:
    """The current stamps of `keys` as one string, or None when the cache cannot answer."""
    try:
        found = cache.get_many([PREFIX + key for key in keys])
    except Exception:
        logger.warning("Could not read stamps", exc_info=True)
        return None
    return ".".join(str(found.get(PREFIX + key, MISSING)) for key in keys)
