"""Storing page views: set-based, a fixed number of queries per request whatever its size.

The browser's and the API's page views both end here. The caller has checked the widget, the
origin and the consent mode; this module cleans every URL again (never trusting the sender),
splits the views into sessions (a new one after SESSION_IDLE without a page view) and writes
them: one INSERT of the page views, one INSERT of a new session or one UPDATE of the current
one — with the lookup, three queries for a page view.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from journey.models import SESSION_IDLE, JourneySession, PageView, Source
from journey.privacy import clean_title, clean_url, host_of, origin_of, utm_of

MAX_VIEWS = 20
# A queued view is sent a few seconds late, an API batch perhaps later: older ones are
# stamped this far back at most; none is stamped in the future.
MAX_AGE = timedelta(hours=1)
CLOCK_TOLERANCE = timedelta(minutes=1)


@dataclass
class View:
    url: str
    title: str
    referrer: str
    at: datetime


@dataclass
class Visit:
    """Who the views are from and what the session keeps about them."""

    inbox_id: int
    visitor_key: str = ""
    browser_key: str = ""
    contact_id: int | None = None
    source: str = Source.BROWSER
    ip_network: str | None = None
    browser: str = ""
    # The visitor's current session, as the lookup found it (current_session_fields).
    session_id: int | None = None
    session_last_seen_at: datetime | None = None
    session_contact_id: int | None = None
    session_visitor_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def current_session_fields(inbox: str | int, **match: Any) -> dict[str, Subquery]:
    """Annotations for the visitor's latest session, so the lookup that finds the visitor
    (or contact) finds the session in the same query (indexes journey_visitor,
    journey_browser, journey_contact). `inbox` is an inbox id or the outer query's field
    holding it; `match` the session's fields (values, or OuterRef)."""
    inbox_id: Any = OuterRef(inbox) if isinstance(inbox, str) else inbox
    latest = JourneySession.objects.filter(inbox_id=inbox_id, **match).order_by("-last_seen_at")
    return {
        "journey_session_id": Subquery(latest.values("pk")[:1]),
        "journey_session_last_seen_at": Subquery(latest.values("last_seen_at")[:1]),
        "journey_session_contact_id": Subquery(latest.values("contact_id")[:1]),
        "journey_session_visitor_key": Subquery(latest.values("visitor_key")[:1]),
    }


def clean_views(
    raw: Any, *, origins: list[str] | None, now: datetime, sent: Any = None
) -> list[View]:
    """The well-formed views of `raw` (a list of {url, title, referrer, at: ms since the
    epoch or ISO text}), cleaned, on one of `origins` (None: any), oldest first. `sent` is
    the sender's clock when it sent them (ms): their times are moved by its difference to
    ours, so a visitor's clock that is off does not move their journey."""
    if not isinstance(raw, list):
        return []
    skew = clock_skew(sent, now)
    views = []
    for item in raw[:MAX_VIEWS]:
        if not isinstance(item, dict):
            continue
        url = clean_url(item.get("url", ""))
        if not url or (origins is not None and origin_of(url) not in origins):
            continue
        at = moment(item.get("at"), now, skew=skew)
        views.append(
            View(
                url=url,
                title=clean_title(item.get("title")),
                referrer=_referrer(item.get("referrer", ""), url),
                at=at,
            )
        )
    views.sort(key=lambda view: view.at)
    return views


def _referrer(raw: Any, url: str) -> str:
    """A page of the same site keeps its utm_* parameters; another site is kept without its
    query string (a search engine's query, a webmail's message id)."""
    same_site = clean_url(raw) and origin_of(clean_url(raw)) == origin_of(url)
    return clean_url(raw) if same_site else clean_url(raw, keep_query=False)


def clock_skew(sent: Any, now: datetime) -> timedelta:
    """How far the sender's clock is behind ours, from `sent` (its clock, ms, when it sent):
    zero under a minute — the difference is then mostly the request's way here (a beacon
    sent on leaving a page may leave late), and one browser's own times keep their order."""
    if not isinstance(sent, (int, float)) or isinstance(sent, bool):
        return timedelta(0)
    skew = now - moment(sent, now + MAX_AGE * 24, floor=now - MAX_AGE * 24)
    return skew if abs(skew) >= CLOCK_TOLERANCE else timedelta(0)


def moment(
    raw: Any, now: datetime, *, skew: timedelta = timedelta(0), floor: datetime | None = None
) -> datetime:
    """The time `raw` names, moved by `skew`, never after `now` nor before `floor` (by
    default MAX_AGE before now); `now` when it names none."""
    at = None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        try:
            at = datetime.fromtimestamp(raw / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            at = None
    elif isinstance(raw, str):
        try:
            at = datetime.fromisoformat(raw)
        except ValueError:
            at = None
        if at is not None and timezone.is_naive(at):
            at = timezone.make_aware(at, UTC)
    if at is None:
        return now
    return min(max(at + skew, floor or now - MAX_AGE), now)


def record(
    visit: Visit, views: list[View], *, leave: bool = False, left_at: datetime | None = None
) -> int:
    """Store `views` for `visit` (its current session found by the caller's lookup) and, with
    `leave`, that the visitor left (at `left_at`, by default now). Returns how many page
    views were stored.

    Side effects: a new session when the visitor's last view is older than SESSION_IDLE;
    the session's last_seen_at, contact and left_at follow. Earlier sessions of the visitor
    without a contact get it once it is known (a visitor who writes after browsing).
    """
    left = left_at or timezone.now()
    # No savepoint: the writes are all-or-nothing in the request's transaction (and a
    # savepoint would be two more statements per page view inside one).
    with transaction.atomic(savepoint=False):
        groups = _sessions_of(visit, views)
        current_views = groups.pop(0) if groups and groups[0][0] is not None else None
        rows: list[PageView] = []
        if current_views is not None and visit.session_id is not None:
            rows.extend(_rows(visit.session_id, current_views[1]))
        new_sessions = [_new_session(visit, members) for _none, members in groups]
        if new_sessions:
            JourneySession.objects.bulk_create(new_sessions)
            for session, (_none, members) in zip(new_sessions, groups, strict=True):
                rows.extend(_rows(session.pk, members))
        if rows:
            PageView.objects.bulk_create(rows)
        if visit.session_id is not None and (current_views or (leave and not new_sessions)):
            _touch(visit, current_views[1] if current_views else [], leave=leave, left=left)
        elif new_sessions and leave:
            JourneySession.objects.filter(pk=new_sessions[-1].pk).update(left_at=left)
        if visit.contact_id and visit.session_id and visit.session_contact_id is None:
            _link_earlier_sessions(visit)
    return len(rows)


def _sessions_of(visit: Visit, views: list[View]) -> list[tuple[int | None, list[View]]]:
    """The views split into sessions: [(current session id or None, views), …]."""
    groups: list[tuple[int | None, list[View]]] = []
    last = visit.session_last_seen_at
    session_id = visit.session_id
    for view in views:
        if groups and view.at - groups[-1][1][-1].at <= SESSION_IDLE:
            groups[-1][1].append(view)
        elif not groups and session_id is not None and last and view.at - last <= SESSION_IDLE:
            groups.append((session_id, [view]))
        else:
            groups.append((None, [view]))
    return groups


def _rows(session_id: int, views: list[View]) -> list[PageView]:
    return [
        PageView(session_id=session_id, url=v.url, title=v.title, referrer=v.referrer, at=v.at)
        for v in views
    ]


def _new_session(visit: Visit, views: list[View]) -> JourneySession:
    first = views[0]
    utm = utm_of(first.url)
    referrer_host = host_of(first.referrer)
    if referrer_host == host_of(first.url):
        referrer_host = ""
    return JourneySession(
        inbox_id=visit.inbox_id,
        visitor_key=visit.visitor_key,
        browser_key=visit.browser_key,
        contact_id=visit.contact_id,
        source=visit.source,
        started_at=first.at,
        last_seen_at=views[-1].at,
        referrer_host=referrer_host,
        utm_source=utm["utm_source"],
        utm_medium=utm["utm_medium"],
        utm_campaign=utm["utm_campaign"],
        ip_network=visit.ip_network,
        browser=visit.browser,
    )


def _touch(visit: Visit, views: list[View], *, leave: bool, left: datetime) -> None:
    changes: dict[str, Any] = {}
    if views:
        changes["last_seen_at"] = max(views[-1].at, visit.session_last_seen_at or views[-1].at)
    if leave:
        changes["left_at"] = left
    if visit.contact_id and visit.session_contact_id != visit.contact_id:
        changes["contact_id"] = visit.contact_id
    if visit.visitor_key and visit.session_visitor_key != visit.visitor_key:
        # A new widget visitor on the next page (the chat frame had no storage): the
        # session follows the latest, who may be the one who writes.
        changes["visitor_key"] = visit.visitor_key
    if changes and visit.session_id is not None:
        JourneySession.objects.filter(pk=visit.session_id).update(**changes)


def _link_earlier_sessions(visit: Visit) -> None:
    sessions: QuerySet[JourneySession] = JourneySession.objects.filter(
        inbox_id=visit.inbox_id, visitor_key=visit.visitor_key, contact__isnull=True
    )
    sessions.update(contact_id=visit.contact_id)
