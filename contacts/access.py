"""The one door to contacts and their parts that a user asks for by id.

Each function loads through `Contact.objects.visible_to(user)` (the list's QuerySet), so a
list and a detail page always agree; what the user may not see is a 404, what they may see
but not change is a 403.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from contacts.models import AttributeDefinition, Contact, ContactEvent, Identity, Note

PERMISSIONS = {
    "view": "contacts.view_contact",
    "add": "contacts.add_contact",
    "edit": "contacts.change_contact",
    "delete": "contacts.delete_contact",
    "merge": "contacts.merge_contact",
    "promote": "contacts.promote_contact",
    "link": "contacts.link_conversation",
}


def require(user: Any, right: str) -> None:
    """Raise PermissionDenied unless `user` holds `right` (a key of PERMISSIONS)."""
    if not user.has_perm(PERMISSIONS[right]):
        raise PermissionDenied


def access_contact(user: Any, contact_id: int, *, right: str = "view") -> Contact:
    """A contact `user` may see (404 otherwise) and act on with `right` (403 otherwise)."""
    contact = get_object_or_404(Contact.objects.visible_to(user), pk=contact_id)
    if right != "view":
        require(user, right)
    return contact


def access_contact_or_merged(user: Any, contact_id: int) -> Contact:
    """Like access_contact, but a contact folded into another by a merge is returned too,
    so that its old address can lead to the survivor."""
    require(user, "view")
    return get_object_or_404(Contact.objects.select_related("merged_into"), pk=contact_id)


def access_identity(user: Any, identity_id: int, *, right: str = "edit") -> Identity:
    identity = get_object_or_404(
        Identity.objects.select_related("contact").filter(
            contact__in=Contact.objects.visible_to(user)
        ),
        pk=identity_id,
    )
    require(user, right)
    return identity


def access_note(user: Any, note_id: int) -> Note:
    return get_object_or_404(
        Note.objects.select_related("contact", "author").filter(
            contact__in=Contact.objects.visible_to(user)
        ),
        pk=note_id,
    )


def access_attribute_definition(user: Any, definition_id: int) -> AttributeDefinition:
    """An attribute definition for Settings → Contact attributes: admins only (403), 404 if
    absent. Definitions are organisation-wide, so the role is the whole rule."""
    if not getattr(user, "is_admin", False):
        raise PermissionDenied
    return get_object_or_404(AttributeDefinition, pk=definition_id)


def access_merge_event(user: Any, event_id: int) -> ContactEvent:
    require(user, "merge")
    event = get_object_or_404(
        ContactEvent.objects.select_related("contact").filter(
            kind=ContactEvent.Kind.MERGED, contact__in=Contact.objects.visible_to(user)
        ),
        pk=event_id,
    )
    if event.contact is None:
        raise Http404
    return event
