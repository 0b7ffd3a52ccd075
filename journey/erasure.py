"""The journey's part in a contact's export, deletion and anonymisation (registered in
JourneyConfig.ready): page views are personal data like messages."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models import Prefetch

from contacts.models import Contact
from journey.models import JourneySession, PageView


@contextmanager
def erase_journey(contact: Contact, purpose: str) -> Iterator[None]:
    """Delete the contact's sessions and page views — for a deletion and for an
    anonymisation alike: the pages someone visited, in order, can name them. Runs before
    the contact and its widget visitors go, so sessions recorded before the visitor was
    known to be the contact go too."""
    JourneySession.objects.of_contact(contact).delete()
    yield


def journey_section(contact: Contact, user: Any) -> tuple[str, Any]:
    """The sessions of the exporting user's inboxes, with every page view."""
    sessions = (
        JourneySession.objects.visible_to(user)
        .of_contact(contact)
        .select_related("inbox")
        .prefetch_related(Prefetch("page_views", queryset=PageView.objects.order_by("at", "id")))
        .order_by("started_at", "id")
    )
    return "journey", [
        {
            "inbox": session.inbox.name,
            "source": session.source,
            "started_at": session.started_at,
            "last_seen_at": session.last_seen_at,
            "left_at": session.left_at,
            "referrer_host": session.referrer_host,
            "utm_source": session.utm_source,
            "utm_medium": session.utm_medium,
            "utm_campaign": session.utm_campaign,
            "ip_network": session.ip_network,
            "browser": session.browser,
            "page_views": [
                {"url": v.url, "title": v.title, "referrer": v.referrer, "at": v.at}
                for v in session.page_views.all()
            ],
        }
        for session in sessions
    ]
