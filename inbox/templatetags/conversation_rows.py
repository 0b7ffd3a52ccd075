"""The conversation list's row, built in Python.

The row is the workspace's hottest fragment — forty on every list page and every thread
page, and again in each live update — and as a template it cost about half a millisecond of
variable lookups per row, most of the page's time at scale. Every value is escaped exactly as
the template did; the partial `conversation-row` in templates/inbox/_list.html stays the place
that renders it.
"""

import html
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def conversation_row(row: Any, query: str, open_id: Any) -> SafeString:
    """`row` as decorated by inbox.list.decorate; `query` ends its link (the list's filters);
    the row of `open_id` is marked as the current one.

    Every value goes through `e` (the standard library's html.escape, which Django's escape
    wraps): plain strings only, so format_html's lazy-string checks and SafeString wrappers —
    a third of the list page's time — are not needed."""
    labels = row.labels
    url = e(row.url + query)
    title = e(row.title)
    unread = (
        f'<span class="unread-dot" title="{e(labels["unread"])}"></span>'
        f'<span class="visually-hidden">{e(labels["unread"])}:</span>'
        if row.is_unread
        else ""
    )
    if row.assignee is not None:
        assignee = (
            f'<span class="avatar avatar-xs" aria-hidden="true">{e(row.assignee.initials)}</span>'
            f'<span class="visually-hidden">{e(labels["assigned_to"])}</span> '
            f"{e(row.assignee.display_name)}"
        )
    else:
        assignee = f'<span class="unassigned">{e(labels["unassigned"])}</span>'
    chips = "".join(
        f'<span class="label-chip label-{e(label.colour)}">{e(label.name)}</span>'
        for label in row.label_chips
    )
    if chips:
        chips = (
            f'<span class="conv-labels"><span class="visually-hidden">{e(labels["labels"])}:'
            f"</span>{chips}</span>"
        )
    pk = int(row.pk)
    current = ' aria-current="true"' if row.pk == open_id else ""
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<li id="conversation-row-{pk}" class="conv-row{" is-unread" if row.is_unread else ""}"'
        f' data-conversation-id="{pk}">'
        f'<input type="hidden" class="live-state" name="shown" value="{pk}">'
        # The list's selection for bulk actions (its form is the bar above the rows).
        f'<input type="checkbox" class="conv-select" name="conversation" value="{pk}"'
        f' form="bulk-form" aria-label="{e(labels["select"])}: {title}" data-conv-select>'
        f'<a class="conv-link" href="{url}" hx-get="{url}" hx-target="#thread-pane"'
        f' hx-swap="outerHTML" hx-push-url="true"{current}>'
        f'<span class="conv-line">{unread}<span class="conv-name">{title}</span>'
        f'<time class="conv-time" datetime="{e(row.last_message_at.isoformat())}">'
        f"{e(row.time_label)}</time></span>"
        f'<span class="conv-preview">{e(row.last_message_preview or "—")}</span>'
        f'<span class="conv-meta">'
        f'<span class="chip chip-{e(row.channel)}">{e(row.channel_label)}</span>'
        f'<span class="status status-{e(row.status)}">{e(row.status_label)}</span>'
        f"{chips}"
        f'<span class="conv-inbox" title="{e(labels["inbox"])}">{e(row.inbox.name)}</span>'
        f'<span class="conv-assignee">{assignee}</span>'
        "</span></a></li>"
    )


def e(value: Any) -> str:
    """`value` escaped for HTML text and attribute values, as django.utils.html.escape."""
    return html.escape(str(value))
