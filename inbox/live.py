"""The live workspace: a cheap "what changed since" poll (DESIGN.md §5, issue "Live").

The page holds a poller that asks every few seconds with the time of its last answer and the
state it shows (the rows on screen, the open conversation, the filters).

Most polls find nothing new, and answer that without the database: every change to a
conversation (`Conversation.touch`) moves its inbox's stamp (lib/stamps.py) after commit, and
the poller carries the stamps it saw with a signed list of the user's inboxes. While none of
those stamps moved, the answer is 204 (htmx keeps the poller as it is). Otherwise, or when the
cache cannot answer, or at least once a minute, the full check runs: changes are found by the
indexed `Conversation.updated_at`; the answer is `<hx-partial>` updates for those rows and the
open thread, plus a fresh poller. A poll that fails (server down, network gone) leaves the old
poller and its `since` in place, so the next successful poll catches up on everything that
happened meanwhile.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db.models import Q
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from inbox.access import access_conversation
from inbox.actions import mark_read
from inbox.list import ORDERING, ListFilters, decorate, filtered, with_row_data
from inbox.models import (
    Conversation,
    Membership,
)
from inbox.notifications import arrivals, unread_context
from inbox.thread import thread_context
from lib import stamps

POLL_SECONDS = 3
# A change committed a moment after a poll read the table may carry an `updated_at` from
# before that poll; asking again for a short overlap means it is never missed (a row sent
# twice is simply replaced twice).
OVERLAP = timedelta(seconds=2)
# More changed rows than this since the last poll (a long outage): reload the list instead.
MAX_ROWS = 50
MAX_SHOWN = 500
# The full check runs at least this often, whatever the stamps say: a stamp that could not be
# moved (the cache was down for a moment) delays an update by at most this much.
FULL_CHECK_EVERY = timedelta(seconds=60)
# The signed inbox list a poller carries is trusted this long; then the full check renews it.
SCOPE_MAX_AGE = 600
SCOPE_SALT = "inbox.live.scope"


@dataclass(frozen=True)
class Poller:
    """What the next poll sends back: the time of this answer, the stamps read before the
    database was, and the keys of those stamps, signed."""

    since: str
    stamp: str
    scope: str

    @classmethod
    def issue(cls, user: Any) -> "Poller":
        keys = Membership.objects.scope_for(user).stamp_keys()
        # Read before any query of this request: a change committed meanwhile moves a stamp
        # after this read, so the next poll looks again.
        stamp = stamps.read(keys) or ""
        scope = signing.dumps([user.pk, keys], salt=SCOPE_SALT, compress=True)
        return cls(since=next_since(), stamp=stamp, scope=scope)


def nothing_changed(user: Any, query: QueryDict) -> bool:
    """True when the poller's stamps are all still current, and it is not time for the full
    check: the answer is then "nothing new", without a database query."""
    since = parse_since(query.get("since"))
    seen = query.get("stamp", "")
    if since is None or not seen or timezone.now() - since > FULL_CHECK_EVERY:
        return False
    try:
        user_id, keys = signing.loads(
            query.get("scope", ""), salt=SCOPE_SALT, max_age=SCOPE_MAX_AGE
        )
    except signing.BadSignature:
        return False
    if user_id != user.pk or not isinstance(keys, list):
        return False
    return stamps.read([str(key) for key in keys]) == seen


def next_since() -> str:
    return (timezone.now() - OVERLAP).isoformat()


def parse_since(value: str | None) -> datetime | None:
    try:
        since = parse_datetime(value or "")
    except ValueError:
        return None
    if since is None or timezone.is_naive(since):
        return None
    return since


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values[:MAX_SHOWN] if v.isdigit()]


@dataclass
class RowUpdate:
    """One changed row: replaced where it is, or (new activity or new to this view)
    removed and inserted before the first row that sorts after it (`before`), or at the end."""

    conversation: Conversation
    in_place: bool
    remove_first: bool = False
    before: int | None = None


@dataclass
class LiveState:
    """What the page shows, as sent by the poller (inputs with the class `live-state`)."""

    since: datetime
    filters: ListFilters
    shown: list[int] = field(default_factory=list)
    has_more: bool = False
    open_id: int | None = None
    can_reply: bool | None = None
    pending: bool = False
    unread: int | None = None  # the unread count the navigation shows (None: it shows none)

    @classmethod
    def from_query(cls, query: QueryDict, since: datetime) -> "LiveState":
        open_ids = _ids(query.getlist("open"))
        can_reply = query.get("can_reply")
        return cls(
            since=since,
            filters=ListFilters.from_query(query),
            shown=_ids(query.getlist("shown")),
            has_more=query.get("has_more") == "1",
            open_id=open_ids[0] if open_ids else None,
            can_reply=None if can_reply is None else can_reply == "1",
            pending=query.get("pending") == "1",
            unread=_int_or_none(query.get("unread")),
        )


def row_updates(user: Any, state: LiveState) -> list[RowUpdate] | None:
    """Rows changed since `state.since` that are on screen or belong in the current view,
    with where each goes; None when so much changed that the list should be reloaded."""
    changed = Conversation.objects.visible_to(user).filter(updated_at__gt=state.since)
    belongs = filtered(changed, user, state.filters).values("pk")
    rows = list(
        with_row_data(changed.filter(Q(pk__in=state.shown) | Q(pk__in=belongs)), user).order_by(
            *ORDERING
        )[: MAX_ROWS + 1]
    )
    if len(rows) > MAX_ROWS:
        return None
    decorate(rows)
    shown = set(state.shown)
    moving = {r.pk for r in rows if r.pk not in shown or r.last_message_at > state.since}
    stable = sorted(
        (
            (last_message_at, pk)
            # Row ids come from the page: only the user's own conversations count.
            for pk, last_message_at in Conversation.objects.visible_to(user)
            .filter(pk__in=shown - moving)
            .values_list("pk", "last_message_at")
        ),
        reverse=True,
    )
    updates = []
    for row in rows:
        if row.pk not in moving:
            updates.append(RowUpdate(row, in_place=True))
            continue
        key = (row.last_message_at, row.pk)
        before = next((pk for (at, pk) in stable if (at, pk) < key), None)
        if before is None and state.has_more:
            # It sorts after every row on screen: it belongs to a page not loaded yet.
            if row.pk in shown:
                updates.append(RowUpdate(row, in_place=True))
            continue
        updates.append(RowUpdate(row, in_place=False, remove_first=row.pk in shown, before=before))
    return updates


def open_thread(user: Any, state: LiveState) -> dict[str, Any] | None:
    """The open conversation's header and thread when it changed (or a sent message is
    still on its way), with its composer when the right to reply changed or it is blocked."""
    if state.open_id is None:
        return None
    try:
        conversation = access_conversation(user, state.open_id)
    except Http404:
        return None
    changed = conversation.updated_at > state.since
    if not (changed or state.pending):
        return None
    if changed:
        mark_read(conversation, user=user)
    context = thread_context(user, conversation)
    can_reply = context["rights"].can_reply
    # A draft is never thrown away: the composer is re-rendered only when it could not be
    # typed in, or when the right to reply changed.
    context["refresh_composer"] = state.can_reply is not True or can_reply != state.can_reply
    return context


def live_context(user: Any, query: QueryDict) -> dict[str, Any]:
    since = parse_since(query.get("since"))
    context: dict[str, Any] = {"poller": Poller.issue(user), "poll_seconds": POLL_SECONDS}
    if since is None:
        context.update(unread_context(user), unread_changed=True)
        return context
    state = LiveState.from_query(query, since)
    updates = row_updates(user, state)
    context.update(
        {
            "filters": state.filters,
            "open_id": state.open_id,
            "row_updates": updates or [],
            "reload_list": updates is None,
            # After the open thread: reading it there takes it out of the count.
            "thread": open_thread(user, state),
        }
    )
    # The navigation's count (redrawn when it changed) and what to notify about
    # (inbox.notifications): two queries, only in the full check.
    context.update(unread_context(user))
    context["unread_changed"] = state.unread not in (None, context["unread_count"])
    context["arrivals"] = arrivals(user, state.since)
    return context
