"""The one door to journey sessions a user asks for by id: through
`JourneySession.objects.visible_to(user)` (the Journey tab's QuerySet), so a user of inbox B
gets 404 for a session recorded by inbox A's widget."""

from typing import Any

from django.shortcuts import get_object_or_404

from contacts.access import access_contact
from contacts.models import Contact
from journey.models import JourneySession


def access_session(user: Any, session_id: int) -> JourneySession:
    """A session of one of `user`'s inboxes whose contact they may see; 404 otherwise."""
    return get_object_or_404(
        JourneySession.objects.visible_to(user)
        .filter(contact__in=Contact.objects.visible_to(user))
        .select_related("contact", "inbox"),
        pk=session_id,
    )


def access_journey(user: Any, contact_id: int) -> Contact:
    """A contact whose Journey tab `user` may see (the contact's own door: 404 otherwise);
    the tab then shows only the sessions of the user's inboxes."""
    return access_contact(user, contact_id)
