"""The conversation list's row, built in Python.

The row is the workspace's hottest fragment — forty on every list page and every thread
page, and again in each live update — and as a template it cost about half a millisecond of
variable lookups per row, most of the page's time at scale. `format_html` escapes every value
exactly as the template did; the partial `conversation-row` in templates/inbox/_list.html
stays the place that renders it.
"""

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def conversation_row(row: Any, query: str, open_id: Any) -> SafeString:
    """`row` as decorated by inbox.list.decorate; `query` ends its link (the list's filters);
    the row of `open_id` is marked as the current one."""
    labels = row.labels
    url = row.url + query
    unread = (
        format_html(
            '<span class="unread-dot" title="{}"></span><span class="visually-hidden">{}:</span>',
            labels["unread"],
            labels["unread"],
        )
        if row.is_unread
        else ""
    )
    if row.assignee is not None:
        assignee = format_html(
            '<span class="avatar avatar-xs" aria-hidden="true">{}</span>'
            '<span class="visually-hidden">{}</span> {}',
            row.assignee.initials,
            labels["assigned_to"],
            row.assignee.display_name,
        )
    else:
        assignee = format_html('<span class="unassigned">{}</span>', labels["unassigned"])
    chips = format_html_join(
        "",
        '<span class="label-chip label-{}">{}</span>',
        ((label.colour, label.name) for label in row.label_chips),
    )
    if chips:
        chips = format_html(
            '<span class="conv-labels"><span class="visually-hidden">{}:</span>{}</span>',
            labels["labels"],
            chips,
        )
    return format_html(
        '<li id="conversation-row-{pk}" class="conv-row{unread_class}" data-conversation-id="{pk}">'
        '<input type="hidden" class="live-state" name="shown" value="{pk}">'
        # The list's selection for bulk actions (its form is the bar above the rows).
        '<input type="checkbox" class="conv-select" name="conversation" value="{pk}"'
        ' form="bulk-form" aria-label="{select}: {title}" data-conv-select>'
        '<a class="conv-link" href="{url}" hx-get="{url}" hx-target="#thread-pane"'
        ' hx-swap="outerHTML" hx-push-url="true"{current}>'
        '<span class="conv-line">{unread}<span class="conv-name">{title}</span>'
        '<time class="conv-time" datetime="{at}">{time_label}</time></span>'
        '<span class="conv-preview">{preview}</span>'
        '<span class="conv-meta">'
        '<span class="chip chip-{channel}">{channel_label}</span>'
        '<span class="status status-{status}">{status_label}</span>'
        "{chips}"
        '<span class="conv-inbox" title="{inbox_label}">{inbox}</span>'
        '<span class="conv-assignee">{assignee}</span>'
        "</span></a></li>",
        pk=row.pk,
        unread_class=" is-unread" if row.is_unread else "",
        url=url,
        current=mark_safe(' aria-current="true"') if row.pk == open_id else "",
        unread=unread,
        title=row.title,
        at=row.last_message_at.isoformat(),
        time_label=row.time_label,
        preview=row.last_message_preview or "—",
        channel=row.channel,
        channel_label=row.channel_label,
        status=row.status,
        status_label=row.status_label,
        inbox_label=labels["inbox"],
        inbox=row.inbox.name,
        assignee=assignee,
        select=labels["select"],
        chips=chips,
    )
