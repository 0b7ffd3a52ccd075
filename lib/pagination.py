"""Keyset pagination: page through any ordered QuerySet without OFFSET or COUNT(*).

The cursor is an opaque, URL-safe token holding the ordering values of the last row shown,
so page 5,000 costs the same index seek as page 1, and rows inserted meanwhile never shift
or duplicate what the reader sees.
"""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Field, Model, Q, QuerySet

M = TypeVar("M", bound=Model)


class InvalidCursor(ValueError):
    """The cursor was not made by `paginate` for this ordering (tampered or stale link)."""


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    next_cursor: str | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def paginate(
    queryset: QuerySet[M], *, ordering: tuple[str, ...], cursor: str | None, per_page: int
) -> Page[M]:
    """Return the page after `cursor` of `queryset` ordered by `ordering`.

    `ordering` must end in a unique field (normally "-id" or "id") and name only non-null
    fields, each optionally prefixed with "-"; an index over it makes every page one seek.
    Raises InvalidCursor for a cursor that cannot be decoded.
    """
    rows = list(after_cursor(queryset, ordering=ordering, cursor=cursor)[: per_page + 1])
    return page_of(rows, ordering=ordering, per_page=per_page)


def paginate_keys_first(
    queryset: QuerySet[M], *, ordering: tuple[str, ...], cursor: str | None, per_page: int
) -> Page[M]:
    """`paginate`, in two steps inside one query: the page's primary keys first, then its rows
    by key (with the queryset's prefetches). When an index holds the ordering and every column
    the filter reads (INCLUDE columns), finding the keys is an index-only walk, however many
    entries the filter skips; reading whole rows during that walk would cost one table read
    per skipped entry. Raises InvalidCursor for a cursor that cannot be decoded."""
    keys = after_cursor(queryset, ordering=ordering, cursor=cursor).values("pk")[: per_page + 1]
    rows = queryset.model._default_manager.filter(pk__in=keys).order_by(*ordering)
    rows = rows.prefetch_related(*getattr(queryset, "_prefetch_related_lookups", ()))
    return page_of(list(rows), ordering=ordering, per_page=per_page)


def after_cursor(queryset: QuerySet[M], *, ordering: tuple[str, ...], cursor: str | None) -> Any:
    """`queryset` in `ordering`, from the row after `cursor` on (InvalidCursor if forged)."""
    queryset = queryset.order_by(*ordering)
    if cursor:
        queryset = queryset.filter(_after(queryset.model, ordering, _decode(cursor, ordering)))
    return queryset


def page_of(rows: list[M], *, ordering: tuple[str, ...], per_page: int) -> Page[M]:
    """A page of `per_page` from `rows` (up to one more, in `ordering`): its cursor points
    after the last row shown when there is more."""
    if len(rows) <= per_page:
        return Page(items=rows, next_cursor=None)
    items = rows[:per_page]
    last = items[-1]
    values = [_field_value(last, name.lstrip("-")) for name in ordering]
    return Page(items=items, next_cursor=_encode(values))


def _field_value(obj: Model | dict[str, Any], name: str) -> Any:
    """The ordering value of a row: a model instance, or a dict of a `.values()` QuerySet."""
    if isinstance(obj, dict):
        return obj[name]
    value: Any = obj
    for part in name.split("__"):
        value = getattr(value, part)
    return value


def _after(model: type[Model], ordering: tuple[str, ...], values: list[Any]) -> Q:
    """(a, b, c) > (x, y, z) in the given directions, as an index-friendly OR of prefixes."""
    condition = Q()
    for position, name in enumerate(ordering):
        field = name.lstrip("-")
        lookup = "lt" if name.startswith("-") else "gt"
        equal_prefix = {
            ordering[i].lstrip("-"): _to_python(model, ordering[i].lstrip("-"), values[i])
            for i in range(position)
        }
        value = _to_python(model, field, values[position])
        condition |= Q(**equal_prefix, **{f"{field}__{lookup}": value})
    return condition


def _to_python(model: type[Model], name: str, value: Any) -> Any:
    field = model._meta.get_field(name.split("__")[0])
    if not isinstance(field, Field):
        raise InvalidCursor(f"{name} cannot order a page")
    try:
        return field.to_python(value)
    except Exception as exc:  # any field may reject a forged value in its own way
        raise InvalidCursor(str(exc)) from exc


class _CursorEncoder(DjangoJSONEncoder):
    """Like Django's encoder, but keeps microseconds: a cursor must match rows exactly."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


def _encode(values: list[Any]) -> str:
    raw = json.dumps(values, cls=_CursorEncoder, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, ordering: tuple[str, ...]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("cursor is not readable") from exc
    if not isinstance(values, list) or len(values) != len(ordering):
        raise InvalidCursor("cursor does not match this ordering")
    return values
