"""What the thread pane shows: header, messages with comments and events in time order,
and the composer — with a fixed number of queries however long the thread is."""

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from accounts.models import User
from inbox.access import inbox_role, rights_in
from inbox.delivery import explain as explain_delivery
from inbox.list import conversation_title, display_address
from inbox.models import (
    Comment,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Message,
)
from inbox.variables import VARIABLES

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
    its delivery status)."""
    messages = list(
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .prefetch_related(
            "attachments",
            Prefetch("comments", queryset=Comment.objects.select_related("author")),
        )
        .order_by("-created_at", "-id")[: limit + 1]
    )
    truncated = len(messages) > limit
    messages = messages[:limit][::-1]
    since = messages[0].created_at if truncated and messages else None
    comments = Comment.objects.filter(conversation=conversation, message__isnull=True)
    events = ConversationEvent.objects.filter(conversation=conversation).exclude(
        kind=ConversationEvent.Kind.REPLY_SENT
    )
    if since is not None:
        comments, events = (
            comments.filter(created_at__gte=since),
            events.filter(created_at__gte=since),
        )
    for message in messages:
        if message.status in (DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN):
            message.problem = explain_delivery(message)  # type: ignore[attr-defined]
    entries = [Entry("message", m) for m in messages]
    entries += [Entry("comment", c) for c in comments.select_related("author")]
    for event in events.select_related("actor"):
        event.text = event_text(event)  # type: ignore[attr-defined]
        entries.append(Entry("event", event))
    entries.sort(key=lambda e: (e.at, {"event": 0, "message": 1, "comment": 2}[e.kind]))
    pending = any(m.direction == Direction.OUTBOUND and m.status in PENDING for m in messages)
    return entries, truncated, pending


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
    return f"{event.get_kind_display()} · {actor}"


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
        "rights": rights,
        "entries": entries,
        "truncated": truncated,
        "pending": pending,
        "statuses": ConversationStatus.choices,
        "members": members_for_assignment(conversation) if rights.can_manage else [],
        "client_id": uuid.uuid4(),
        "variables": VARIABLES,
        **extra,
    }
