"""Reads that may go to a read replica: message and contact search, campaign exports.

With DATABASE_REPLICA_URL set, settings define a second database alias, "replica", and
`config.routers.ReplicaRouter` sends the reads made inside `from_replica()` to it; every other
read and every write stays on the primary. Only heavy, read-only lists use it, and what a user
may see is still decided on the primary first (the access doors in each app's access.py read
the primary): a replica a few seconds behind can show a list a few seconds old, never another
inbox's rows. Without a replica this is a no-op.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings

REPLICA = "replica"
_reading = ContextVar("switchboard_replica_reads", default=False)


def has_replica() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def from_replica() -> Iterator[None]:
    """Reads inside go to the replica (when one is configured)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def replica_rows(rows: Any) -> Iterator[Any]:
    """Iterate a generator of database reads with each step read from the replica (a
    streamed export's rows are produced after the view returned)."""
    iterator = iter(rows)
    while True:
        with from_replica():
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


def reading_from_replica() -> bool:
    return _reading.get() and has_replica()
