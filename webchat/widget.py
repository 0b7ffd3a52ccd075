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
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from inbox.models import (
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Message,
    conversation_stamp_key,
)
from lib import ratelimit, stamps
from webchat.access import public_widget
from webchat.actions.visitors import acknowledge, away_after, visitor_conversations
from webchat.models import WebVisitor, WebWidget, token_hash, visitor_stamp_key
from webchat.origins import embedding_allowed

VISITOR_HEADER = "X-Switchboard-Visitor"
EMBED_HEADER = "X-Switchboard-Embed"
SHOWN_HEADER = "X-Switchboard-Shown"
REFRESH_HEADER = "X-Switchboard-Refresh"
MESSAGES_SHOWN = 50
# A poller that has not drawn for this long draws again, whatever its stamps say.
FULL_CHECK_EVERY = timedelta(seconds=30)
WATCH_SALT = "webchat.watch"
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


def poll_keys(token: str, conversation_ids: list[int]) -> list[str]:
    """What a visitor's poll watches: their own stamp and their conversations' (moved by
    every change an agent's reply or its delivery makes, inbox.models.Conversation.touch),
    never the whole inbox's, so a busy inbox does not wake every widget."""
    own = visitor_stamp_key(token_hash(token)) if token else "web-visitor:-"
    return [own, *(conversation_stamp_key(pk) for pk in sorted(conversation_ids))]


def watch_token(conversation_ids: list[int]) -> str:
    return signing.dumps(sorted(conversation_ids), salt=WATCH_SALT, compress=True)


def read_watch(value: str) -> list[int] | None:
    """The conversation ids a poller watches (signed by the answer that drew it), or None."""
    try:
        ids = signing.loads(value, salt=WATCH_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(ids, list) or not all(isinstance(pk, int) for pk in ids):
        return None
    return ids


def poll_is_idle(token: str, query: QueryDict) -> bool:
    """Nothing to draw for this poll: its stamps are those of the answer that drew the
    poller, which is less than FULL_CHECK_EVERY old (the away message and rare changes —
    a merge, an erasure — show by then). Reads the cache only, never the database."""
    watched = read_watch(query.get("watch", ""))
    since = parse_datetime(query.get("since", "") or "")
    if watched is None or since is None or timezone.now() - since > FULL_CHECK_EVERY:
        return False
    stamp = stamps.read(poll_keys(token, watched))
    return bool(stamp) and stamp == query.get("stamp")


def thread_context(
    widget: WebWidget,
    visitor: WebVisitor | None,
    *,
    shown: bool,
    token: str = "",
    watched: list[int] | None = None,
) -> dict[str, Any]:
    """The visitor's conversation as the widget shows it: the greeting, their messages and
    our replies (the newest MESSAGES_SHOWN), the away message once nobody has answered for
    WEBCHAT_AWAY_AFTER, and what the next poll watches. Fetched replies become delivered,
    shown ones read. Six queries at most with something to acknowledge, four without.

    The stamps are read before the rows, for the conversations the last poller watched: a
    change committed meanwhile moves them, so the next poll draws again. When the
    conversations are others now (a new one), the stamp is left empty for the same reason."""
    stamp_before = stamps.read(poll_keys(token, watched)) if watched is not None else None
    messages: list[Message] = []
    ids: list[int] = []
    away = False
    since = timezone.now().isoformat()
    if visitor is not None:
        conversations = list(
            visitor_conversations(visitor)
            .order_by("-last_message_at", "-id")
            .values("pk", "status", "waiting_since")[:20]
        )
        ids = sorted(c["pk"] for c in conversations)
        if conversations:
            rows = (
                Message.objects.filter(conversation_id__in=ids)
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
    same = watched is not None and sorted(watched) == ids
    return {
        "widget": widget,
        "visitor": visitor,
        "messages": messages,
        "away": away,
        "stamp": (stamp_before or "") if same else "",
        "watch": watch_token(ids),
        "since": since,
    }


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
