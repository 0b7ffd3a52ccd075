"""Keyset pages of the API (lib.pagination underneath): an opaque `cursor`, `limit` up to
MAX_LIMIT, and a `next` link with the same filters. Never OFFSET, never COUNT(*)."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from lib.pagination import paginate

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def keyset_page(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    ordering: tuple[str, ...],
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    """{"items", "next_cursor", "next"} for the page after `cursor` (InvalidCursor: 400)."""
    page = paginate(queryset, ordering=ordering, cursor=cursor or None, per_page=limit)
    next_url = None
    if page.next_cursor:
        query = request.GET.copy()
        query["cursor"] = page.next_cursor
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"items": page.items, "next_cursor": page.next_cursor, "next": next_url}
