"""The doors to the web chat's objects (DESIGN.md §3).

Staff reach a widget through its inbox (`access_widget`: the inbox's managers and admins,
404 for an inbox the user is not in, 403 for a member who does not manage it). The public
widget pages reach it by its public id (`public_widget`: 404 unless it exists and is
enabled) and a visitor by the token their browser keeps (`visitor_for`).
"""

import time
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404

from inbox.access import access_inbox
from inbox.models import Attachment, Channel
from lib.cached import cached
from webchat.models import (
    LOCAL_MAX,
    LOCAL_SECONDS,
    LOCAL_WIDGETS,
    WebVisitor,
    WebWidget,
    token_hash,
    widget_key,
)


def access_widget(user: Any, inbox_id: int) -> WebWidget:
    """The web chat of an inbox the user manages: its row, or an unsaved one with the
    defaults when the inbox has none yet (saving the settings creates it)."""
    inbox = access_inbox(user, inbox_id, manage=True)
    widget = WebWidget.objects.filter(inbox=inbox).first()
    if widget is None:
        widget = WebWidget(inbox=inbox)
    widget.inbox = inbox
    return widget


def public_widget(public_id: str, *, preview: bool = False) -> WebWidget:
    """The widget `public_id` names, from this process's copy of the last seconds or the
    cache (every widget request asks; saving the settings forgets both). 404 for an
    unknown id, and for a disabled widget unless this is the settings page's preview."""
    if len(public_id) > 24:
        raise Http404
    now = time.monotonic()
    kept = LOCAL_WIDGETS.get(public_id)
    if kept is not None and kept[0] > now:
        widget: WebWidget | None = kept[1]
    else:
        widget = cached(widget_key(public_id), lambda: _load_widget(public_id))
        if widget is not None:
            if len(LOCAL_WIDGETS) >= LOCAL_MAX:
                LOCAL_WIDGETS.clear()
            LOCAL_WIDGETS[public_id] = (now + LOCAL_SECONDS, widget)
    if widget is None or not (widget.enabled or preview):
        raise Http404
    return widget


def _load_widget(public_id: str) -> WebWidget | None:
    return WebWidget.objects.select_related("inbox").filter(public_id=public_id).first()


def visitor_for(widget: WebWidget, token: str) -> WebVisitor | None:
    """The visitor whose browser keeps `token`, of this widget; None for a token we have
    not seen (nothing is stored before the visitor writes)."""
    if not token or len(token) > 200:
        return None
    visitor = WebVisitor.objects.filter(widget=widget, token_hash=token_hash(token)).first()
    if visitor is not None:
        visitor.widget = widget
    return visitor


def visitor_attachment(widget: WebWidget, attachment_id: int, digest: str) -> Attachment:
    """A file of a web conversation of the widget's inbox, named by a link signed for one
    visitor (webchat.widget.file_token: the thread signs only the files it shows them).
    404 when the file is gone or belongs elsewhere."""
    if not WebVisitor.objects.filter(widget=widget, token_hash__startswith=digest).exists():
        raise Http404
    return get_object_or_404(
        Attachment.objects.filter(
            message__conversation__inbox_id=widget.inbox_id,
            message__conversation__channel=Channel.WEB,
        ).exclude(file=""),
        pk=attachment_id,
    )
