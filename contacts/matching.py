"""Finding the contact for an address: one indexed lookup, three outcomes (DESIGN.md §4)."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q

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
    found = match_many([(channel, address)])[(channel, address)]
    if isinstance(found, ValidationError):
        raise found
    return found


def normalised_sender(channel: str, address: str) -> str:
    """The address as matching compares it on `channel`; raises ValidationError when
    malformed."""
    return normalise(CHANNEL_KINDS.get(channel, (channel,))[0], address)


def match_many(
    senders: Iterable[tuple[str, str]],
) -> dict[tuple[str, str], Match | ValidationError]:
    """match_contacts for many (channel, address) pairs in one query (a batch of inbound
    messages); a malformed address maps to its ValidationError instead of raising."""
    results: dict[tuple[str, str], Match | ValidationError] = {}
    wanted: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {}
    for channel, address in senders:
        kinds = CHANNEL_KINDS.get(channel, (channel,))
        try:
            wanted[(channel, address)] = (kinds, normalised_sender(channel, address))
        except ValidationError as invalid:
            results[(channel, address)] = invalid
    if not wanted:
        return results
    by_kinds: dict[tuple[str, ...], set[str]] = {}
    for kinds, normalised in wanted.values():
        by_kinds.setdefault(kinds, set()).add(normalised)
    condition = Q()
    for kinds, values in by_kinds.items():
        condition |= Q(kind__in=kinds, normalised__in=sorted(values))
    # One query: the identities with their (not merged-away) contacts, newest contact first.
    rows = (
        Identity.objects.filter(condition, contact__merged_into__isnull=True)
        .select_related("contact")
        .order_by("-contact__last_activity_at", "-contact_id", "id")
    )
    by_value: dict[str, list[Identity]] = {}
    for row in rows:
        by_value.setdefault(row.normalised, []).append(row)
    for key, (kinds, normalised) in wanted.items():
        identities: dict[int, Identity] = {}
        for identity in by_value.get(normalised, []):
            if identity.kind in kinds:
                identities.setdefault(identity.contact_id, identity)
        results[key] = Match(
            channel=key[0],
            address=key[1],
            normalised=normalised,
            contacts=[identity.contact for identity in identities.values()],
            identities=identities,
        )
    return results


def try_match(channel: str, address: str) -> Match | None:
    """match_contacts, or None when the address is malformed."""
    try:
        return match_contacts(channel, address)
    except ValidationError:
        return None
