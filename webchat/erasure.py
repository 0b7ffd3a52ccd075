"""A contact's web visitors in their export, deletion and anonymisation (through the
contacts registries). The web conversations themselves are the inbox's: its own hooks
cover their messages and files."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from contacts.models import Contact
from inbox.access import visible_inboxes
from webchat.models import WebVisitor


@contextmanager
def erase_visitors(contact: Contact, purpose: str) -> Iterator[None]:
    """Deleted or anonymised, the contact keeps no visitor: the browser's token, the
    host's user id and the e-mail it left would tie the person to the record again. The
    browser then starts as a new, unknown visitor."""
    WebVisitor.objects.filter(contact=contact).delete()
    yield


def visitors_section(contact: Contact, user: Any) -> tuple[str, Any]:
    inbox_ids = [inbox.pk for inbox in visible_inboxes(user)]
    visitors = (
        WebVisitor.objects.filter(contact=contact, widget__inbox_id__in=inbox_ids)
        .select_related("widget__inbox")
        .order_by("created_at", "id")
    )
    return "web_visitors", [
        {
            "inbox": visitor.widget.inbox.name,
            "signed_in_as": visitor.external_id.removeprefix(visitor.widget.external_prefix),
            "email_left": visitor.email,
            "consent": visitor.consent,
            "first_seen_at": visitor.created_at,
            "last_seen_at": visitor.last_seen_at,
        }
        for visitor in visitors
    ]
