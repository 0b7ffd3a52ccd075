"""Helpers for bulk inserts (demo data and benchmarks)."""

from typing import Any

from django.db import connection
from django.db.models import Max


def reserve_ids(model: Any, count: int) -> list[int]:
    """`count` primary keys for rows about to be bulk-inserted into `model`'s table.

    On PostgreSQL they come from the table's sequence, so they are never handed out twice,
    even to concurrent inserts; elsewhere they follow the current highest id.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]
    start = (model.objects.aggregate(highest=Max("id"))["highest"] or 0) + 1
    return list(range(start, start + count))
