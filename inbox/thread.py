"""What the thread pane shows: header, messages with comments and events in time order,
and the composer — with a fixed number of queries however long the thread is."""

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, prefetch_related_objects
from django.utils.translation import gettext as _

from accounts.models import User
from inbox.access import inbox_role, rights_in
from inbox.delivery import explain as explain_delivery
from inbox.list import conversation_title, display_address
from inbox.models import (
    Attachment,
    Comment,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Message,
)
from inbox.variables import variables_menu

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
        # Called by the template only when it draws the composer's variables menu.
        "variables": variables_menu,
        **extra,
    }
