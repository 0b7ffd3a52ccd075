"""Rendering helpers: a page owns its fragments, a view names the one an htmx request wants."""

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def is_partial_request(request: HttpRequest) -> bool:
    """True for an htmx request that swaps a part of the page (not a boosted full page).

    htmx 4 sends `HX-Request-Type: full` when it swaps the whole body; anything else that
    carries `HX-Request` wants a fragment.
    """
    htmx = getattr(request, "htmx", None)
    if not htmx:
        return False
    return bool(htmx.request_type != "full")


def render_page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render `template`, or only its `{% partialdef fragment %}` for a partial htmx request."""
    name = f"{template}#{fragment}" if fragment and is_partial_request(request) else template
    return render(request, name, context, status=status)
