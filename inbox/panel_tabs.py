"""The contact panel's Cases and Messages tabs, filled by the inbox (registered in
InboxConfig.ready, so the contacts app never imports the inbox). Fixed query counts."""

from collections import defaultdict
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse

from contacts.models import Contact
from inbox.models import Comment, Conversation, Direction, Membership, Message

CASES_SHOWN = 20
REPLIES_SHOWN = 20
THREADS_SHOWN = 3
MESSAGES_PER_THREAD = 50


def _conversations(user: Any, contact: Contact) -> Any:
    return Conversation.objects.visible_to(user).filter(contact=contact)


def _writable_inboxes(user: Any) -> Any:
    """Inboxes the user works in (may comment): all for admins."""
    if getattr(user, "is_admin", False):
        return None
    return set(Membership.objects.filter(user=user).values_list("inbox_id", flat=True))


def cases_tab(user: Any, contact: Contact) -> dict[str, Any]:
    """The contact's earlier conversations, and the agents' replies, each commentable."""
    conversations = _conversations(user, contact)
    cases = list(
        conversations.select_related("inbox", "assignee").order_by("-last_message_at", "-id")[
            :CASES_SHOWN
        ]
    )
    replies = list(
        Message.objects.filter(
            conversation__in=conversations.values("pk"), direction=Direction.OUTBOUND
        )
        .select_related("author", "conversation")
        .prefetch_related(Prefetch("comments", queryset=Comment.objects.select_related("author")))
        .order_by("-created_at", "-id")[:REPLIES_SHOWN]
    )
    writable = _writable_inboxes(user)
    for reply in replies:
        reply.can_comment = (  # type: ignore[attr-defined]
            writable is None or reply.conversation.inbox_id in writable
        )
    return {"cases": cases, "agent_replies": replies}


def messages_tab(user: Any, contact: Contact) -> dict[str, Any]:
    """Whole threads, customer and agent, latest conversations first."""
    conversations = list(
        _conversations(user, contact)
        .select_related("inbox")
        .order_by("-last_message_at", "-id")[: THREADS_SHOWN + 1]
    )
    more = len(conversations) > THREADS_SHOWN
    conversations = conversations[:THREADS_SHOWN]
    latest = (
        Message.objects.filter(conversation__in=[c.pk for c in conversations])
        .select_related("author")
        .order_by("-created_at", "-id")[: THREADS_SHOWN * MESSAGES_PER_THREAD * 2]
    )
    by_conversation: dict[int, list[Message]] = defaultdict(list)
    for message in latest:
        if len(by_conversation[message.conversation_id]) < MESSAGES_PER_THREAD:
            by_conversation[message.conversation_id].append(message)
    threads = [(c, by_conversation[c.pk][::-1]) for c in conversations]
    more_url = reverse("inbox:index") + f"?contact={contact.pk}" if more else ""
    return {"threads": threads, "threads_more_url": more_url}
