"""What every public widget request shares: the widget by its public id, the origin check,
the visitor's token and the rate limit — and the thread a visitor sees.

The iframe's requests carry the visitor's token (`X-Switchboard-Visitor`, from the iframe's
localStorage) and the host page's origin the loader passed (`X-Switchboard-Embed`); the
browser adds `Origin`/`Referer`. webchat.origins decides; a refused request gets 403.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from inbox.models import ConversationStatus, DeliveryStatus, Direction, Message
from lib import ratelimit, stamps
from webchat.access import public_widget
from webchat.actions.visitors import acknowledge, away_after, visitor_conversations
from webchat.models import WebVisitor, WebWidget, token_hash
from webchat.origins import embedding_allowed

VISITOR_HEADER = "X-Switchboard-Visitor"
EMBED_HEADER = "X-Switchboard-Embed"
SHOWN_HEADER = "X-Switchboard-Shown"
REFRESH_HEADER = "X-Switchboard-Refresh"
MESSAGES_SHOWN = 50
OVERLAP = timedelta(seconds=2)
FILE_SALT = "webchat.file"
FILE_MAX_AGE = 24 * 3600
# What the widget shows of our replies: those handed to it (not queued, not failed).
SHOWN_OUTBOUND = (
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.READ,
    DeliveryStatus.UNKNOWN,
)


def rate() -> str:
    return str(settings.WEBCHAT_RATE_LIMIT)


@dataclass(frozen=True)
class WidgetRequest:
    widget: WebWidget
    embed: str
    token: str


def refused(message: str, status: int = 403) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def widget_request(
    request: HttpRequest, public_id: str, *, embed: str = ""
) -> WidgetRequest | HttpResponse:
    """The widget and the visitor's token, or the response refusing the request: 404 for
    an unknown or disabled widget, 403 from another website, 429 over the rate limit."""
    widget = public_widget(public_id)
    embed = embed or request.headers.get(EMBED_HEADER, "")
    if not embedding_allowed(request, widget.origins, embed):
        return refused(_("This website may not use this chat."))
    token = request.headers.get(VISITOR_HEADER, "")[:200]
    key = token_hash(token) if token else ratelimit.client_ip(request)
    if not ratelimit.hit("webchat", rate(), key):
        return refused(_("Too many requests; wait a moment."), status=429)
    return WidgetRequest(widget=widget, embed=embed, token=token)


def stamp_of(widget: WebWidget) -> str:
    """The version stamp of the widget's inbox (lib.stamps): it moves with every change to
    a conversation of the inbox, so an unchanged one means nothing new for any visitor."""
    return stamps.read([f"inbox:{widget.inbox_id}"]) or ""


def thread_context(
    widget: WebWidget, visitor: WebVisitor | None, *, shown: bool, stamp: str
) -> dict[str, Any]:
    """The visitor's conversation as the widget shows it: the greeting, their messages and
    our replies (the newest MESSAGES_SHOWN), the away message once nobody has answered for
    WEBCHAT_AWAY_AFTER, and the poller's stamp. Fetched replies become delivered, shown ones
    read. Four queries at most with something to acknowledge, two without."""
    messages: list[Message] = []
    away = False
    # The time of this answer: the next poll asks whether anything changed after it.
    since = timezone.now().isoformat()
    if visitor is not None:
        conversations = list(
            visitor_conversations(visitor)
            .order_by("-last_message_at", "-id")
            .values("pk", "status", "waiting_since", "updated_at")[:20]
        )
        if conversations:
            rows = (
                Message.objects.filter(conversation_id__in=[c["pk"] for c in conversations])
                .exclude(direction=Direction.OUTBOUND, status__in=_hidden_statuses())
                .select_related("author")
                .prefetch_related("attachments")
                .order_by("-created_at", "-id")[:MESSAGES_SHOWN]
            )
            messages = list(reversed(rows))
            newest = conversations[0]
            waiting = newest["waiting_since"]
            away = (
                newest["status"] != ConversationStatus.RESOLVED
                and waiting is not None
                and timezone.now() - waiting > away_after()
            )
            if acknowledge(messages, inbox_id=widget.inbox_id, shown=shown):
                for message in messages:
                    if message.direction == Direction.OUTBOUND:
                        message.status = DeliveryStatus.READ if shown else DeliveryStatus.DELIVERED
        for message in messages:
            message.files = [  # type: ignore[attr-defined]
                (a, file_token(a.pk, visitor.token_hash))
                for a in message.attachments.all()
                if a.file
            ]
    return {
        "widget": widget,
        "visitor": visitor,
        "messages": messages,
        "away": away,
        "stamp": stamp,
        "since": since,
    }


def changed_since(visitor: WebVisitor | None, since: str) -> bool:
    """Whether any of the visitor's conversations changed after `since` (the time of the
    poller's last full answer), less OVERLAP: a change committed just after that answer
    may carry an earlier time. One indexed query, no rendering: the poll asks this when the inbox's
    stamp moved, which in a busy inbox is most of the time."""
    moment = parse_datetime(since) if since else None
    if moment is None:
        return True
    if visitor is None:
        return False
    latest = visitor_conversations(visitor).aggregate(latest=Max("updated_at"))["latest"]
    return latest is not None and latest > moment - OVERLAP


def _hidden_statuses() -> list[str]:
    return [s for s in DeliveryStatus.values if s not in SHOWN_OUTBOUND and s != "received"]


def file_token(attachment_id: int, digest: str) -> str:
    return signing.dumps([attachment_id, digest[:16]], salt=FILE_SALT, compress=True)


def read_file_token(value: str) -> tuple[int, str] | None:
    try:
        attachment_id, digest = signing.loads(value, salt=FILE_SALT, max_age=FILE_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return int(attachment_id), str(digest)
