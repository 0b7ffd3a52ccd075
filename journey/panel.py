"""The contact panel's Journey tab: the contact's latest sessions as a vertical trail, in a
fixed number of queries (sessions, their page views, the conversations they started).

Time on page is the gap to the next page view of the session; the last page of a session
counts until the visitor left, or is open while they are still on the site ("now on …").
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from contacts.models import Contact
from inbox.models import Conversation
from journey.models import JourneySession, PageView

SESSIONS_SHOWN = 5
VIEWS_PER_SESSION = 30
# A conversation belongs to the session it began in, or began just after (the visitor's
# first message may come a little after their last page view).
CHAT_GRACE = timedelta(minutes=10)


@dataclass
class Step:
    view: PageView
    seconds: int | None  # time on page; None while it is open or unknown
    chat_started: bool = False


@dataclass
class Trail:
    session: JourneySession
    steps: list[Step] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    earlier: int = 0  # page views of the session not shown (the trail shows the latest)
    present: bool = False


def journey_tab(user: Any, contact: Contact) -> dict[str, Any]:
    return {"trails": trails(user, contact), "now": timezone.now()}


def trails(user: Any, contact: Contact, *, sessions_shown: int = SESSIONS_SHOWN) -> list[Trail]:
    sessions = list(
        JourneySession.objects.visible_to(user)
        .of_contact(contact)
        .select_related("inbox")
        .order_by("-last_seen_at", "-id")[:sessions_shown]
    )
    if not sessions:
        return []
    now = timezone.now()
    by_session = {s.pk: Trail(session=s) for s in sessions}
    views = (
        PageView.objects.filter(session__in=list(by_session))
        .annotate(
            newest_first=Window(
                RowNumber(),
                partition_by=[F("session_id")],
                order_by=[F("at").desc(), F("id").desc()],
            )
        )
        .filter(newest_first__lte=VIEWS_PER_SESSION + 1)
        .order_by("session_id", "at", "id")
    )
    grouped: dict[int, list[PageView]] = {pk: [] for pk in by_session}
    for view in views:
        grouped[view.session_id].append(view)
    conversations = _conversations(user, contact, sessions)
    for pk, trail in by_session.items():
        members = grouped[pk]
        # One more than shown was read, so the next page's time is known for the first shown.
        if len(members) > VIEWS_PER_SESSION:
            trail.earlier = 1
            members = members[1:]
        trail.present = trail.session.is_present(now)
        trail.steps = _steps(trail, members)
        _attach_conversations(trail, conversations)
    return list(by_session.values())


def _steps(trail: Trail, views: list[PageView]) -> list[Step]:
    steps = []
    for index, view in enumerate(views):
        end: datetime | None = views[index + 1].at if index + 1 < len(views) else None
        left = trail.session.left_at
        if end is None and left is not None and left >= view.at and not trail.present:
            end = left
        seconds = round((end - view.at).total_seconds()) if end is not None else None
        steps.append(Step(view=view, seconds=seconds))
    return steps


def _conversations(
    user: Any, contact: Contact, sessions: list[JourneySession]
) -> list[Conversation]:
    first = min(s.started_at for s in sessions)
    last = max(s.last_seen_at for s in sessions) + CHAT_GRACE
    return list(
        Conversation.objects.visible_to(user)
        .filter(contact=contact, channel="web", created_at__gte=first, created_at__lte=last)
        .order_by("created_at", "id")
    )


def _attach_conversations(trail: Trail, conversations: list[Conversation]) -> None:
    session = trail.session
    for conversation in conversations:
        started = conversation.created_at
        if conversation.inbox_id != session.inbox_id:
            continue
        if not (session.started_at <= started <= session.last_seen_at + CHAT_GRACE):
            continue
        trail.conversations.append(conversation)
        # The page the visitor was on when they wrote: the latest view at or before it.
        on = [step for step in trail.steps if step.view.at <= started]
        if on:
            on[-1].chat_started = True
