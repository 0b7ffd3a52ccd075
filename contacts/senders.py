"""Contacts made and kept current by inbound messages (inbox.actions.receiving): the
ephemeral contact of a sender nobody knows, alone or for a whole routed batch, and the
senders' last activity. Each writes in the caller's transaction; contacts.actions holds the
changes people make."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organisation
from contacts.actions import IdentityTaken
from contacts.models import Contact, ContactEvent, ContactKind, Identity, IdentitySource
from contacts.sharing import holders
from lib.bulk import update_each
from lib.events import emit, emit_many


@transaction.atomic
def create_ephemeral_contact(*, kind: str, value: str, normalised: str) -> Identity:
    """The contact of an unknown sender (ephemeral: it expires unless someone keeps it),
    created by an inbound message that matched nobody; returns its identity. Raises
    IdentityTaken when a concurrent first message from the same sender created one a moment
    ago (nothing is created then)."""
    contact = Contact.objects.create(
        kind=ContactKind.EPHEMERAL,
        expires_at=timezone.now() + timedelta(days=settings.EPHEMERAL_CONTACT_DAYS),
    )
    try:
        with transaction.atomic():
            identity = Identity.objects.create(
                contact=contact,
                kind=kind,
                value=value.strip(),
                normalised=normalised,
                source=IdentitySource.INBOUND,
            )
    except IntegrityError:
        # The unshared address's one row, stored by the concurrent first message.
        raise IdentityTaken(holders(kind, normalised)[0]) from None
    ContactEvent.objects.create(
        contact=contact,
        kind=ContactEvent.Kind.CREATED,
        data={"contact_kind": ContactKind.EPHEMERAL},
    )
    emit(Organisation.SINGLETON_ID, "contact.created", {"contact": contact.pk}, personal=True)
    return identity


def create_ephemeral_contacts(
    senders: Sequence[tuple[str, str, str]],
) -> dict[tuple[str, str], Identity]:
    """create_ephemeral_contact for many unknown senders at once, (kind, value, normalised)
    each with a different (kind, normalised) (a batch of inbound messages): a fixed number
    of statements for the batch. Returns each sender's identity by (kind, normalised). When
    one of the addresses was stored by someone else meanwhile, the batch's rows are undone
    and the senders created one by one, which settles that race as for a single message."""
    if not senders:
        return {}
    expires_at = timezone.now() + timedelta(days=settings.EPHEMERAL_CONTACT_DAYS)
    try:
        with transaction.atomic():
            contacts = Contact.objects.bulk_create(
                Contact(kind=ContactKind.EPHEMERAL, expires_at=expires_at) for _sender in senders
            )
            identities = Identity.objects.bulk_create(
                Identity(
                    contact=contact,
                    kind=kind,
                    value=value.strip(),
                    normalised=normalised,
                    source=IdentitySource.INBOUND,
                )
                for contact, (kind, value, normalised) in zip(contacts, senders, strict=True)
            )
    except IntegrityError:
        return {
            (kind, normalised): _ephemeral_or_taken(kind, value, normalised)
            for kind, value, normalised in senders
        }
    ContactEvent.objects.bulk_create(
        ContactEvent(
            contact=contact,
            kind=ContactEvent.Kind.CREATED,
            data={"contact_kind": ContactKind.EPHEMERAL},
        )
        for contact in contacts
    )
    emit_many(
        Organisation.SINGLETON_ID,
        "contact.created",
        [{"contact": contact.pk} for contact in contacts],
        personal=True,
    )
    return {(identity.kind, identity.normalised): identity for identity in identities}


def _ephemeral_or_taken(kind: str, value: str, normalised: str) -> Identity:
    try:
        return create_ephemeral_contact(kind=kind, value=value, normalised=normalised)
    except IdentityTaken as taken:
        return taken.identity


# An identity or contact seen again within this long keeps the time it has: a burst of
# messages from one sender writes it once.
ACTIVITY_RESOLUTION = timedelta(minutes=1)


def record_activities(seen: Sequence[tuple[Identity, Any]]) -> None:
    """The senders of inbound messages were active: each (identity, at) moves the identity's
    last_seen_at and its contact's last_activity_at forward (the contacts list sorts by it).
    At most one UPDATE of identities and one of contacts for a whole batch of messages."""
    identities: dict[int, Identity] = {}
    contacts: dict[int, Contact] = {}
    for identity, at in seen:
        if identity.last_seen_at is None or identity.last_seen_at < at - ACTIVITY_RESOLUTION:
            identity.last_seen_at = at
            identities[identity.pk] = identity
        contact = identity.contact
        if contact.last_activity_at is None or contact.last_activity_at < at - ACTIVITY_RESOLUTION:
            contact.last_activity_at = at
            contacts[contact.pk] = contact
    if identities:
        update_each(list(identities.values()), ["last_seen_at"])
    if contacts:
        # Not save(): the activity is not an edit (no version, no updated_at).
        update_each(list(contacts.values()), ["last_activity_at"])
