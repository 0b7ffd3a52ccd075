"""What tells an agent that a customer is waiting: the unread count in the navigation and the
tab title, and the browser notifications with their sound (static/js/notifications.js).

Both count the same conversations (`ConversationQuerySet.unread_by`): open, waiting for an
answer, in the agent's own conversations or in Unassigned, with a customer message newer than
when the agent last opened them. The count is capped (a badge says "99+"), so it stays one
short query whatever the backlog. Arrivals are looked for only by the live poll's full check,
which runs when a stamp moved (inbox.live): the idle poll stays free of queries.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _

from inbox.list import conversation_title
from inbox.models import Conversation, Membership, Message
from lib import stamps

logger = logging.getLogger(__name__)

MAX_COUNTED = 99
UNREAD_SECONDS = 60
# At most this many notifications from one poll; more arrivals at once still move the count.
MAX_ARRIVALS = 5


def unread_context(user: Any) -> dict[str, Any]:
    """`unread_count` (capped at MAX_COUNTED + 1) and its `unread_label` ("3", "99+")."""
    count = unread_count(user)
    label = f"{MAX_COUNTED}+" if count > MAX_COUNTED else str(count)
    return {"unread_count": count, "unread_label": label}


def unread_count(user: Any) -> int:
    """The user's unread count, kept in the cache under the stamps of everything it depends
    on — the user's inboxes and roles, their inboxes' conversations, their read markers — so
    the thread and list pages count only after something moved (for at most UNREAD_SECONDS,
    in case a stamp could not be moved)."""
    keys = _count_stamp_keys(user)
    stamp, entry = stamps.read_with(keys, _count_key(user.pk))
    if stamp is not None and isinstance(entry, tuple) and entry[0] == stamp:
        return int(entry[1])
    count = Conversation.objects.visible_to(user).unread_by(user)[: MAX_COUNTED + 1].count()
    if stamp is not None:
        _keep(user.pk, stamp, count)
    return count


def count_read(user: Any, conversation: Conversation, *, was_unread: bool | None) -> None:
    """`user` has just read `conversation` (a new read marker): move their read stamp, and
    where the count kept in the cache was still current, keep it one lower (when the
    conversation counted) instead of counting again; `was_unread` None: not known, count
    again."""
    keys = _count_stamp_keys(user)
    before, entry = stamps.read_with(keys, _count_key(user.pk))
    after = stamps.bump([read_stamp_key(user.pk)])
    if was_unread is None or before is None or after is None:
        return
    if not isinstance(entry, tuple) or entry[0] != before:
        return
    count = int(entry[1])
    if was_unread:
        if count > MAX_COUNTED:
            return  # "99+" minus one may still be 99+: count again
        count = max(count - 1, 0)
    # The stamps as they are now, if nothing else moved meanwhile: only the read stamp, last.
    _keep(user.pk, before.rsplit(".", 1)[0] + "." + after, count)


def read_stamp_key(user_id: int) -> str:
    return f"read:{user_id}"


def _count_stamp_keys(user: Any) -> list[str]:
    return [*Membership.objects.scope_for(user).stamp_keys(), read_stamp_key(user.pk)]


def _count_key(user_id: int) -> str:
    return f"unread-count:{user_id}"


def _keep(user_id: int, stamp: str, count: int) -> None:
    try:
        cache.set(_count_key(user_id), (stamp, count), UNREAD_SECONDS)
    except Exception:
        logger.warning("Cache unavailable; the unread count of %s is not kept", user_id)


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
