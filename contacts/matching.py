"""Finding the contact for an address: one indexed lookup, three outcomes (DESIGN.md §4)."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from contacts.identities import CHANNEL_KINDS, normalise
from contacts.models import Contact, Identity


@dataclass(frozen=True)
class Match:
    """The contacts whose identities match an address: none, one, or several."""

    channel: str
    address: str
    normalised: str
    contacts: list[Contact] = field(default_factory=list)
    # Each matched contact's identity for the address (its first, when it has several kinds).
    identities: dict[int, Identity] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return ("none", "one")[len(self.contacts)] if len(self.contacts) < 2 else "several"

    @property
    def contact(self) -> Contact | None:
        return self.contacts[0] if len(self.contacts) == 1 else None

    @property
    def identity(self) -> Identity | None:
        """The one matched contact's identity for the address."""
        contact = self.contact
        return self.identities.get(contact.pk) if contact is not None else None


def match_contacts(channel: str, address: str) -> Match:
    """Contacts with an identity equal to `address` once normalised for `channel`
    ("sms", "whatsapp", "phone" or "email", or an identity kind).

    Exact equality on (kind, normalised) uses the unique index: never a LIKE. Raises
    ValidationError for an address that cannot be normalised (a malformed number).
    """
    kinds = CHANNEL_KINDS.get(channel, (channel,))
    normalised = normalise(kinds[0], address)
    # One query: the identities with their (not merged-away) contacts, newest contact first.
    rows = (
        Identity.objects.filter(
            kind__in=kinds, normalised=normalised, contact__merged_into__isnull=True
        )
        .select_related("contact")
        .order_by("-contact__last_activity_at", "-contact_id", "id")
    )
    identities: dict[int, Identity] = {}
    for identity in rows:
        identities.setdefault(identity.contact_id, identity)
    contacts = [identity.contact for identity in identities.values()]
    return Match(
        channel=channel,
        address=address,
        normalised=normalised,
        contacts=contacts,
        identities=identities,
    )


def try_match(channel: str, address: str) -> Match | None:
    """match_contacts, or None when the address is malformed."""
    try:
        return match_contacts(channel, address)
    except ValidationError:
        return None
