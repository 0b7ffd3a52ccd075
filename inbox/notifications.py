"""What tells an agent that a customer is waiting: the unread count in the navigation and the
tab title, and the browser notifications with their sound (static/js/notifications.js).

Both count the same conversations (`ConversationQuerySet.unread_by`): open, waiting for an
answer, in the agent's own conversations or in Unassigned, with a customer message newer than
when the agent last opened them. The count is capped (a badge says "99+"), so it stays one
short query whatever the backlog. Arrivals are looked for only by the live poll's full check,
which runs when a stamp moved (inbox.live): the idle poll stays free of queries.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _

from inbox.list import conversation_title
from inbox.models import Conversation, Message

MAX_COUNTED = 99
# At most this many notifications from one poll; more arrivals at once still move the count.
MAX_ARRIVALS = 5


def unread_context(user: Any) -> dict[str, Any]:
    """`unread_count` (capped at MAX_COUNTED + 1) and its `unread_label` ("3", "99+")."""
    count = Conversation.objects.visible_to(user).unread_by(user)[: MAX_COUNTED + 1].count()
    label = f"{MAX_COUNTED}+" if count > MAX_COUNTED else str(count)
    return {"unread_count": count, "unread_label": label}


@dataclass(frozen=True)
class Arrival:
    """One notification: a conversation that is new, or has a new customer message."""

    key: str  # the conversation and its message time: the browser shows each key once
    conversation_id: int
    title: str
    body: str
    url: str


def arrivals(user: Any, since: datetime) -> list[Arrival]:
    """What arrived for `user` since the poller's last answer, newest first."""
    # A conversation with no message before its latest is a new one (the thread index).
    earlier = Message.objects.filter(
        conversation=OuterRef("pk"), created_at__lt=OuterRef("last_message_at")
    )
    conversations = (
        Conversation.objects.visible_to(user)
        .unread_by(user)
        .filter(updated_at__gt=since, last_message_at__gt=since)
        .annotate(continued=Exists(earlier))
        .select_related("contact")
        .order_by("-last_message_at", "-id")[:MAX_ARRIVALS]
    )
    url_pattern = reverse("inbox:conversation", args=[0]).replace("/0/", "/{}/")
    found = []
    for conversation in conversations:
        name = conversation_title(conversation)
        if not conversation.continued:  # type: ignore[attr-defined]
            title = _("New conversation from %(name)s") % {"name": name}
        else:
            title = _("New message from %(name)s") % {"name": name}
        found.append(
            Arrival(
                key=f"{conversation.pk}:{conversation.last_message_at.timestamp():.6f}",
                conversation_id=conversation.pk,
                title=title,
                body=conversation.last_message_preview,
                url=url_pattern.format(conversation.pk),
            )
        )
    return found
