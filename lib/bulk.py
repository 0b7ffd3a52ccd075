"""Helpers for bulk inserts (demo data and benchmarks)."""

from collections.abc import Iterable, Sequence
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


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write `rows` into `table` with PostgreSQL's COPY (the fastest bulk insert there is);
    the caller checked that the database is PostgreSQL."""
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
