"""What the thread pane shows: header, messages with comments and events in time order,
and the composer — with a fixed number of queries however long the thread is."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.consent import OptOut, OptOutSource
from inbox.access import inbox_role, rights_in
from inbox.composer_tools import composer_tools
from inbox.delivery import explain as explain_delivery
from inbox.list import conversation_title, display_address, labels_of
from inbox.models import (
    Attachment,
    Channel,
    Comment,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Label,
    Message,
)
from inbox.optout_hint import sounds_like_opt_out
from inbox.variables import variables_menu
from lib.dates import Moments

# The latest messages of a thread; older ones are a link away (design point: long threads).
THREAD_LIMIT = 30
PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class Entry:
    """One item of the thread in time order: a message, a comment or an event."""

    kind: str
    item: Any

    @property
    def at(self) -> Any:
        return self.item.created_at


def thread_entries(
    conversation: Conversation, limit: int = THREAD_LIMIT
) -> tuple[list[Entry], bool, bool]:
    """The thread's entries (the latest `limit` messages), whether older messages were left
    out, and whether an outbound message is still on its way (the live poll then refreshes
    its delivery status).

    Three queries whatever the length: messages (with their authors, and whether they have
    attachments), comments (on the conversation in the shown period, and on the shown
    messages), events; a fourth only when a shown message has attachments. Each message gets
    `shown_comments` and `shown_attachments`."""
    has_files = Attachment.objects.filter(message=OuterRef("pk"))
    messages = list(
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .annotate(has_files=Exists(has_files))
        .order_by("-created_at", "-id")[: limit + 1]
    )
    truncated = len(messages) > limit
    messages = messages[:limit][::-1]
    since = messages[0].created_at if truncated and messages else None
    comments = Comment.objects.filter(conversation=conversation)
    events = ConversationEvent.objects.filter(conversation=conversation).exclude(
        kind=ConversationEvent.Kind.REPLY_SENT
    )
    if since is not None:
        shown = [m.pk for m in messages]
        comments = comments.filter(Q(created_at__gte=since) | Q(message_id__in=shown))
        events = events.filter(created_at__gte=since)
    with_files = [m for m in messages if m.has_files]
    prefetch_related_objects(with_files, "attachments")
    by_message: dict[int, list[Comment]] = {}
    entries = []
    for comment in comments.select_related("author"):
        if comment.message_id is None:
            entries.append(Entry("comment", comment))
        else:
            by_message.setdefault(comment.message_id, []).append(comment)
    for message in messages:
        if message.status in (DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN):
            message.problem = explain_delivery(message)  # type: ignore[attr-defined]
        shown_message: Any = message
        shown_message.shown_comments = by_message.get(message.pk, [])
        shown_message.shown_attachments = (
            list(message.attachments.all()) if shown_message.has_files else []
        )
        entries.append(Entry("message", message))
    for event in events.select_related("actor"):
        event.text = event_text(event)  # type: ignore[attr-defined]
        entries.append(Entry("event", event))
    entries.sort(key=lambda e: (e.at, {"event": 0, "message": 1, "comment": 2}[e.kind]))
    # Each entry's time as the thread shows it, formatted here once per page's "today"
    # instead of by two template filters per entry (issue 9: the thread's render time).
    moments = Moments()
    for entry in entries:
        dated(entry.item, moments)
        for comment in getattr(entry.item, "shown_comments", ()):
            dated(comment, moments)
    opt_out_hints(conversation, messages)
    pending = any(m.direction == Direction.OUTBOUND and m.status in PENDING for m in messages)
    return entries, truncated, pending


def dated(item: Any, moments: Moments) -> None:
    """Set `when` ("14:05", "30 Nov, 14:05") and `when_iso` (for `<time datetime>`)."""
    item.when = moments(item.created_at, with_time=True)
    item.when_iso = timezone.localtime(item.created_at).isoformat()


def event_text(event: ConversationEvent) -> str:
    """One line for an event in the thread, e.g. "Max Manager assigned Alice Agent"."""
    actor = str(event.actor) if event.actor else _("Switchboard")
    data = event.data or {}
    kind = ConversationEvent.Kind
    if event.kind == kind.ASSIGNED:
        if data.get("assignee") == event.actor_id:
            return _("%(actor)s took the conversation") % {"actor": actor}
        return _("%(actor)s assigned %(name)s") % {
            "actor": actor,
            "name": data.get("assignee_name"),
        }
    if event.kind == kind.UNASSIGNED:
        return _("%(actor)s unassigned the conversation") % {"actor": actor}
    if event.kind == kind.STATUS:
        labels = dict(ConversationStatus.choices)
        new = labels.get(data.get("new", ""), data.get("new", ""))
        return _("%(actor)s set the status to %(status)s") % {"actor": actor, "status": new}
    if event.kind == kind.CREATED:
        return _("Conversation started")
    if event.kind == kind.LABEL_ADDED:
        return _("%(actor)s added the label “%(name)s”") % {
            "actor": actor,
            "name": data.get("name"),
        }
    if event.kind == kind.LABEL_REMOVED:
        return _("%(actor)s removed the label “%(name)s”") % {
            "actor": actor,
            "name": data.get("name"),
        }
    if event.kind == kind.CAMPAIGN_REPLY:
        return _("An answer to the campaign “%(name)s”") % {"name": data.get("name", "")}
    if event.kind in (kind.OPTED_OUT, kind.OPTED_IN):
        return opt_out_text(event, actor)
    if event.kind == kind.SURVEY_SENT:
        return _("%(actor)s sent the survey “%(name)s”") % {
            "actor": actor,
            "name": data.get("name", ""),
        }
    if event.kind == kind.SURVEY_ANSWERED:
        return _("Survey answer: %(metric)s %(score)s of %(high)s") % {
            "metric": data.get("metric", ""),
            "score": data.get("score", ""),
            "high": data.get("high", ""),
        }
    return f"{event.get_kind_display()} · {actor}"


def opt_out_text(event: ConversationEvent, actor: str) -> str:
    """One line for an opt-out or re-subscription, e.g. "Opted out of SMS campaigns by
    replying STOP"."""
    data = event.data or {}
    values = {
        "actor": actor,
        "channel": dict(Channel.choices).get(data.get("channel", ""), data.get("channel", "")),
        "keyword": data.get("keyword", ""),
        "code": data.get("code", ""),
    }
    source = data.get("source")
    if event.kind == ConversationEvent.Kind.OPTED_IN:
        if source == OptOutSource.KEYWORD:
            return _("Subscribed to %(channel)s campaigns again by replying %(keyword)s") % values
        return _("%(actor)s subscribed the contact to %(channel)s campaigns again") % values
    if source == OptOutSource.KEYWORD:
        return _("Opted out of %(channel)s campaigns by replying %(keyword)s") % values
    if source == OptOutSource.PROVIDER:
        return (
            _(
                "The provider reports that the recipient unsubscribed (error %(code)s): "
                "opted out of %(channel)s campaigns"
            )
            % values
        )
    return _("%(actor)s marked the contact as opted out of %(channel)s campaigns") % values


def opt_out_hints(conversation: Conversation, messages: Sequence[Message]) -> None:
    """Mark the inbound messages that sound like "stop" (inbox.optout_hint) but were not
    recorded as an opt-out, `offer_opt_out`, for the thread's "Mark as opted out". No query
    unless one does; then two: whether the sender is opted out now, and which of those
    messages already have their opt-out (a keyword the inbox acted on)."""
    hinted = [
        m for m in messages if m.direction == Direction.INBOUND and sounds_like_opt_out(m.body)
    ]
    if not hinted or conversation.identity_id is None:
        return
    if OptOut.objects.is_opted_out(conversation.identity_id, conversation.channel):
        return
    recorded = set(
        OptOut.objects.filter(message_id__in=[m.pk for m in hinted]).values_list(
            "message_id", flat=True
        )
    )
    for message in hinted:
        message.offer_opt_out = message.pk not in recorded  # type: ignore[attr-defined]


def label_state(conversation: Conversation) -> dict[str, list[Label]]:
    """The labels on the conversation (`on`) and those that could be added (`off`): one
    query (the labels themselves are cached)."""
    on = labels_of([conversation.pk]).get(conversation.pk, [])
    having = {label.pk for label in on}
    return {"on": on, "off": [label for label in Label.objects.cached() if label.pk not in having]}


def members_for_assignment(conversation: Conversation) -> list[User]:
    """Licensed members and managers of the conversation's inbox, for "Assign to…"."""
    return list(
        User.objects.filter(memberships__inbox=conversation.inbox, is_active=True)
        .distinct()
        .order_by("display_name", "id")
    )


def thread_context(
    user: Any, conversation: Conversation, *, limit: int | None = None, **extra: Any
) -> dict[str, Any]:
    role = inbox_role(user, conversation.inbox)
    rights = rights_in(user, conversation, role=role)
    entries, truncated, pending = thread_entries(conversation, limit or THREAD_LIMIT)
    return {
        "conversation": conversation,
        "title": conversation_title(conversation),
        "address": display_address(conversation),
        "channel_label": conversation.get_channel_display(),
        "rights": rights,
        "entries": entries,
        "truncated": truncated,
        "pending": pending,
        "statuses": ConversationStatus.choices,
        "members": members_for_assignment(conversation) if rights.can_assign else [],
        "client_id": uuid.uuid4(),
        # Called by the template only when it draws the composer's variables menu.
        "variables": variables_menu,
        "composer_tools": composer_tools(user, conversation),
        "conversation_labels": label_state(conversation),
        **extra,
    }
