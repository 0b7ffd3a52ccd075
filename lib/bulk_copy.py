"""bulk_create through PostgreSQL's COPY, for the few writes that insert thousands of rows in a
request (the CRM's batch upsert, the CSV import).

Django's bulk_create on PostgreSQL sends one `INSERT … SELECT * FROM UNNEST(…)` whose array
parameters psycopg builds value by value in Python (escaping every string with a regular
expression): for 1,000 contacts with their identities and events that is ~0.3 s of the
batch's CPU. COPY streams the same rows through psycopg's C dumpers instead. The ids come
first from the table's sequence in one query, so the objects have their primary keys just as
after bulk_create, and objects related to them can be written next.

Elsewhere (SQLite, a model with database defaults or generated columns) this is
bulk_create. The statement is recorded in `connection.queries_log` like any other, so query
counts in tests and the debug toolbar still see it.
"""

import time
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, TypeVar

from django.db import connections, models
from django.db.models import Model
from django.db.models.expressions import DatabaseDefault

M = TypeVar("M", bound=Model)
PLAIN = (
    models.AutoField,
    models.BigAutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.DateTimeField,
    models.ForeignKey,
    models.IntegerField,
    models.TextField,
)


def copy_create(model: type[M], objs: Iterable[M], *, using: str = "default") -> list[M]:
    """Insert `objs` (new instances of `model`) and give each its primary key: the result of
    `model.objects.bulk_create(objs)`, through COPY on PostgreSQL."""
    objs = list(objs)
    connection = connections[using]
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not getattr(f, "generated", False)]
    if (
        not objs
        or connection.vendor != "postgresql"
        or len(fields) != len(meta.concrete_fields)
        or meta.parents
        or any(obj.pk is not None for obj in objs)
        or any(isinstance(getattr(obj, f.attname), DatabaseDefault) for obj in objs for f in fields)
    ):
        return model._default_manager.using(using).bulk_create(objs)
    for obj in objs:
        # As bulk_create: a related object saved since it was assigned lends its new id.
        obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    statement = f"COPY {table} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    started = time.monotonic()
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        values = [_reader(f, connection) for f in fields]
        with cursor.cursor.copy(statement) as copy:
            for obj in objs:
                copy.write_row([value(obj) for value in values])
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": f"{statement} -- {len(objs)} rows", "time": f"{time.monotonic() - started:.3f}"}
        )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return objs


def _reader(field: Any, connection: Any) -> Callable[[Model], Any]:
    """How to read the field's database value off an object. Text, numbers, booleans, keys and
    datetimes go to psycopg as they are (an enum member as its value); the rest, and fields
    that fill themselves in on save, the long way through the field (JSON, say)."""
    if (
        isinstance(field, PLAIN)
        and not getattr(field, "auto_now_add", False)
        and not getattr(field, "auto_now", False)
    ):
        attname = field.attname

        def plain(obj: Model) -> Any:
            value = getattr(obj, attname)
            return value.value if isinstance(value, Enum) else value

        return plain
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)
