"""Identifiers that change hands: claimed (moved), removed, and shared — an address several
contacts hold (a family landline, a company switchboard number, a shared info@ mailbox;
seed 002's "several matches").

Each sharer has its own Identity row (its own consent history, first and last seen), marked
`shared`. The mark is kept true of every row of an address that several active contacts
hold, and false of the one row of an address only one active contact holds, so the partial
unique constraint `identity_unique_unshared` still gives an unshared address exactly one
owner. Every action that adds or removes rows of an address calls `settle_sharing` for it
in its transaction. Rows of a contact folded into another by a merge (the duplicate the
survivor already had) stay marked shared: they never match, and an undone merge needs them.
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from contacts.access import require
from contacts.models import Contact, ContactEvent, ContactKind, Identity, IdentitySource
from lib.errors import ActionRefused
from lib.events import emit

Address = tuple[str, str]  # (kind, normalised)


def addresses_of(identities: Iterable[Identity]) -> set[Address]:
    return {(identity.kind, identity.normalised) for identity in identities}


def settle_sharing(addresses: Iterable[Address]) -> None:
    """Set the `shared` mark of every row of these addresses from who holds them now: true
    where several active contacts do (and on merged-away contacts' rows), false on an
    address's only active row. Locks the rows; two statements at most, one to read."""
    wanted = sorted(set(addresses))
    if not wanted:
        return
    query = Q(pk__in=[])
    for kind, normalised in wanted:
        query |= Q(kind=kind, normalised=normalised)
    rows = (
        Identity.objects.select_for_update(of=("self",))
        .filter(query)
        .values_list("pk", "kind", "normalised", "shared", "contact__merged_into_id")
        .order_by("pk")
    )
    groups: dict[Address, list[tuple[int, bool, bool]]] = defaultdict(list)
    for pk, kind, normalised, shared, merged_into in rows:
        groups[(kind, normalised)].append((pk, shared, merged_into is None))
    to_share: list[int] = []
    to_unshare: list[int] = []
    for members in groups.values():
        several = sum(active for _pk, _shared, active in members) > 1
        for pk, shared, active in members:
            should = several or not active
            if should and not shared:
                to_share.append(pk)
            elif shared and not should:
                to_unshare.append(pk)
    # Marking shared first: an address never has two unshared rows, even for a moment.
    if to_share:
        Identity.objects.filter(pk__in=to_share).update(shared=True)
    if to_unshare:
        Identity.objects.filter(pk__in=to_unshare).update(shared=False)


def holders(kind: str, normalised: str) -> list[Identity]:
    """The rows of an address held by active contacts, oldest first, with their contacts."""
    return list(
        Identity.objects.holding(kind, normalised)
        .filter(contact__merged_into__isnull=True)
        .select_related("contact")
        .order_by("id")
    )


def _bump(contact: Contact) -> None:
    Contact.objects.filter(pk=contact.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    contact.refresh_from_db(fields=["version", "updated_at", "kind", "expires_at"])


def _event(contact: Contact, kind: str, actor: Any, **data: Any) -> None:
    ContactEvent.objects.create(contact=contact, kind=kind, actor=actor, data=data)


def _emit_updated(contact: Contact) -> None:
    """contact.updated (its identities) for other systems, in the caller's transaction."""
    emit(
        Organisation.SINGLETON_ID,
        "contact.updated",
        {"contact": contact.pk, "fields": ["identities"]},
        personal=True,
    )


@transaction.atomic
def claim_identity(contact: Contact, *, identity: Identity, actor: Any) -> Contact:
    """Move an identifier from its current owner to `contact`; returns the previous owner.
    Of a shared address only that owner's row moves: the other sharers keep theirs (and the
    mark). Refused when `contact` holds the address already."""
    require(actor, "edit")
    identity = (
        Identity.objects.select_for_update(of=("self",))
        .select_related("contact")
        .get(pk=identity.pk)
    )
    previous = identity.contact
    held = Identity.objects.holding(identity.kind, identity.normalised).filter(contact=contact)
    if previous.pk == contact.pk or held.exists():
        raise ActionRefused(_("This identifier already belongs to this contact."))
    identity.contact = contact
    identity.save(update_fields=["contact"])
    settle_sharing([(identity.kind, identity.normalised)])
    _bump(contact)
    _bump(previous)
    _event(
        contact,
        ContactEvent.Kind.IDENTITY_CLAIMED,
        actor,
        identity=str(identity),
        from_contact=previous.pk,
    )
    _event(
        previous,
        ContactEvent.Kind.IDENTITY_LOST,
        actor,
        identity=str(identity),
        to_contact=contact.pk,
    )
    _emit_updated(contact)
    _emit_updated(previous)
    return previous


@transaction.atomic
def remove_identity(identity: Identity, *, actor: Any) -> None:
    """Remove one contact's row of an address; whoever shares it keeps theirs."""
    require(actor, "edit")
    contact = identity.contact
    label = str(identity)
    identity.delete()
    # A sharer that is left alone with the address owns it again.
    settle_sharing([(identity.kind, identity.normalised)])
    _bump(contact)
    _event(contact, ContactEvent.Kind.IDENTITY_REMOVED, actor, identity=label)
    _emit_updated(contact)


@transaction.atomic
def share_identity(contact: Contact, *, identity: Identity, actor: Any) -> Identity:
    """Give `contact` the address of `identity` (another contact's) as well: both keep it,
    both rows are marked shared, and an inbound message from it matches both (the agent
    chooses in the panel). Refused when `contact` holds the address already or was merged
    away. Writes IDENTITY_SHARED on `contact` and on every other holder; returns the new
    row."""
    require(actor, "edit")
    locked = list(
        Identity.objects.select_for_update(of=("self",))
        .holding(identity.kind, identity.normalised)
        .select_related("contact")
        .order_by("pk")
    )
    if contact.is_merged:
        raise ActionRefused(_("This contact was merged into another one."))
    if any(row.contact_id == contact.pk for row in locked):
        raise ActionRefused(_("This identifier already belongs to this contact."))
    others = [row.contact for row in locked if row.contact.merged_into_id is None]
    if not others:
        raise ActionRefused(_("Nobody holds this identifier any more; add it instead."))
    Identity.objects.filter(pk__in=[row.pk for row in locked]).update(shared=True)
    now = timezone.now()
    shared = Identity.objects.create(
        contact=contact,
        kind=identity.kind,
        value=identity.value,
        normalised=identity.normalised,
        source=IdentitySource.AGENT,
        shared=True,
        first_seen_at=now,
        last_seen_at=now,
    )
    if contact.kind == ContactKind.EPHEMERAL:
        Contact.objects.filter(pk=contact.pk).update(kind=ContactKind.IDENTIFIED, expires_at=None)
    _bump(contact)
    label = str(shared)
    ContactEvent.objects.bulk_create(
        [
            ContactEvent(
                contact=contact,
                kind=ContactEvent.Kind.IDENTITY_SHARED,
                actor=actor,
                data={"identity": label, "with_contacts": [other.pk for other in others]},
            ),
            *(
                ContactEvent(
                    contact=other,
                    kind=ContactEvent.Kind.IDENTITY_SHARED,
                    actor=actor,
                    data={"identity": label, "with_contacts": [contact.pk]},
                )
                for other in others
            ),
        ]
    )
    _emit_updated(contact)
    return shared
