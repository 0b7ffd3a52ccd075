"""Small template helpers for the workspace shell."""

from datetime import timedelta
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Stroke icons on a 24x24 grid (paths drawn for Switchboard, in the style of open icon sets).
_ICONS = {
    "inbox": '<path d="M3 13h5l2 3h4l2-3h5"/><path d="M5 5h14l2 8v6H3v-6z"/>',
    "routing": '<path d="M4 17h6l4-10h6"/><path d="m17 4 3 3-3 3"/><path d="M4 7h6l1.5 3.5"/>',
    "contacts": '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20c.8-3.6 3.4-5.5 6.5-5.5s5.7 1.9 6.5 5.5"/>'
    '<path d="M16 4.6a3.5 3.5 0 0 1 0 6.8"/><path d="M18 14.8c2 .7 3.2 2.5 3.6 5.2"/>',
    "campaigns": '<path d="M3 10v4l12 5V5z"/><path d="M15 9a3 3 0 0 1 0 6"/><path d="M6 15l1 5h3l-1-4"/>',
    "settings": '<circle cx="12" cy="12" r="3"/><path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8'
    "l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 0 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5"
    " 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3"
    "a2 2 0 0 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1"
    "a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 0 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0"
    " 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 0 1 0"
    ' 4h-.1a1.7 1.7 0 0 0-1.5 1z"/>',
    "search": '<circle cx="11" cy="11" r="7"/><path d="m20 20-3.5-3.5"/>',
    "chat": '<path d="M4 5h16v11H9l-5 4z"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21c1-4 4-6 8-6s7 2 8 6"/>',
    "logout": '<path d="M15 4h4v16h-4"/><path d="M10 8l-4 4 4 4"/><path d="M6 12h10"/>',
    "globe": '<circle cx="12" cy="12" r="9"/><path d="M3 12h18"/><path d="M12 3a14 14 0 0 1 0 18"/>'
    '<path d="M12 3a14 14 0 0 0 0 18"/>',
    "key": '<circle cx="8" cy="15" r="4"/><path d="m11 12 9-9"/><path d="m17 6 3 3"/>',
    "plus": '<path d="M12 5v14"/><path d="M5 12h14"/>',
    "close": '<path d="M6 6l12 12"/><path d="M18 6 6 18"/>',
    "building": '<path d="M4 21V4h10v17"/><path d="M14 9h6v12"/><path d="M8 8h2M8 12h2M8 16h2"/>',
    "users": '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20c.8-3.6 3.4-5.5 6.5-5.5s5.7 1.9 6.5 5.5"/>'
    '<path d="M16 4.6a3.5 3.5 0 0 1 0 6.8"/><path d="M18 14.8c2 .7 3.2 2.5 3.6 5.2"/>',
    "check": '<path d="m5 12 5 5 9-10"/>',
    "alert": '<path d="M12 3 2 20h20z"/><path d="M12 10v4"/><path d="M12 17v.5"/>',
    "copy": '<rect x="9" y="9" width="11" height="11" rx="2"/><path d="M5 15V5a2 2 0 0 1 2-2h8"/>',
    "merge": '<path d="M6 4v4a6 6 0 0 0 6 6h0a6 6 0 0 1 6 6"/><path d="M18 4v16"/><path d="m15 17 3 3 3-3"/>',
    "download": '<path d="M12 4v11"/><path d="m7 10 5 5 5-5"/><path d="M5 20h14"/>',
    "mail": '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m3 7 9 6 9-6"/>',
    "back": '<path d="M19 12H5"/><path d="m11 6-6 6 6 6"/>',
    "panel": '<rect x="3" y="4" width="18" height="16" rx="2"/><path d="M15 4v16"/>',
}


@register.simple_tag
def icon(name: str, label: str = "") -> SafeString:
    """An inline SVG icon; decorative unless a label is given."""
    paths = mark_safe(_ICONS[name])  # noqa: S308 - constant markup defined above
    if label:
        return format_html(
            '<svg class="icon" viewBox="0 0 24 24" role="img" aria-label="{}">{}</svg>',
            label,
            paths,
        )
    return format_html('<svg class="icon" viewBox="0 0 24 24" aria-hidden="true">{}</svg>', paths)


@register.filter
def minutes(value: timedelta | None) -> int:
    """Whole minutes of a duration, rounded up (15 for 14 min 30 s)."""
    if not value:
        return 0
    return max(1, -(-int(value.total_seconds()) // 60))


@register.inclusion_tag("_more_row.html", takes_context=True)
def more_row(context: dict[str, Any], page: Any, colspan: int) -> dict[str, Any]:
    """The "Show more" table row of a keyset-paginated list: the same URL and filters with
    `after` set to the page's cursor, loaded in place by htmx or as a page without it."""
    request = context["request"]
    query = request.GET.copy()
    query["after"] = page.next_cursor
    return {"url": f"{request.path}?{query.urlencode()}", "colspan": colspan, "page": page}
