"""The upsert's writes (contacts.upsert): what a batch does to each contact, written with a
fixed number of statements — bulk inserts (COPY on PostgreSQL: lib.bulk_copy) and one bulk
update, one event per changed contact, and the domain events for other systems in one call
per type (lib.events.emit_many)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models.functions import Lower

from contacts.attributes import FIELD_KEYS
from contacts.consent import Consent
from contacts.identities import IdentityKind
from contacts.models import Contact, ContactEvent, ContactKind, Identity, Tag
from lib.bulk_copy import copy_create
from lib.events import emit_many

TAG_LINKS = (
    "INSERT INTO contacts_contact_tags (contact_id, tag_id) "
    "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING"
)


@dataclass
class Change:
    """What the batch does to one contact (several items may change the same one)."""

    contact: Contact
    created: bool = False
    changes: dict[str, list[Any]] = field(default_factory=dict)
    identities: list[Identity] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    tag_names: list[str] = field(default_factory=list)  # the contact's tags as now

    @property
    def changed(self) -> bool:
        return self.created or bool(self.changes or self.identities or self.tags or self.consents)

    def footprint(self) -> tuple[Any, ...]:
        """What an item has added so far: compared before and after each item."""
        changes = tuple((key, repr(new)) for key, (_old, new) in sorted(self.changes.items()))
        return (changes, len(self.identities), len(self.tags), len(self.consents))


def write_changes(
    organisation: Any,
    changed: list[Change],
    actor: Any,
    writer: str,
    by: str,
    now: datetime,
) -> None:
    if not changed:
        return
    new = [c for c in changed if c.created]
    old = [c for c in changed if not c.created]
    for change in changed:
        contact = change.contact
        contact.search_text = contact.compute_search_text()
        contact.updated_at = now
        if not change.created:
            contact.version += 1
            if contact.kind == ContactKind.EPHEMERAL and change.identities:
                contact.kind = ContactKind.IDENTIFIED
                contact.expires_at = None
    if new:
        copy_create(Contact, [c.contact for c in new])
    if old:
        fields = {"search_text", "updated_at", "version", "provenance", "kind", "expires_at"}
        for change in old:
            fields.update(k if k in FIELD_KEYS else "attributes" for k in change.changes)
        fields.discard("tags")
        Contact.objects.bulk_update([c.contact for c in old], sorted(fields))
    identities = []
    for change in changed:
        for identity in change.identities:
            identity.contact = change.contact
            identities.append(identity)
    if identities:
        copy_create(Identity, identities)
    _write_tags(changed)
    consents = [consent for change in changed for consent in change.consents]
    if consents:  # (an identity created just now lends its new id: _prepare_related_fields)
        copy_create(Consent, consents)
    copy_create(ContactEvent, (_event(change, actor, writer, by, now) for change in changed))
    emit_many(
        organisation.pk, "contact.created", [{"contact": c.contact.pk} for c in new], personal=True
    )
    emit_many(
        organisation.pk,
        "contact.updated",
        [
            {
                "contact": c.contact.pk,
                "fields": sorted(c.changes) + (["identities"] if c.identities else []),
            }
            for c in old
        ],
        personal=True,
    )
    emit_many(
        organisation.pk, "consent.changed", [{"consent": c.pk} for c in consents], personal=True
    )


def _write_tags(changed: list[Change]) -> None:
    wanted = {name.lower(): name for change in changed for name in change.tags}
    if not wanted:
        return
    existing = {
        tag.lname: tag
        for tag in Tag.objects.annotate(lname=Lower("name")).filter(lname__in=sorted(wanted))
    }
    missing = [Tag(name=name) for lower, name in wanted.items() if lower not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {
            tag.lname: tag
            for tag in Tag.objects.annotate(lname=Lower("name")).filter(lname__in=sorted(wanted))
        }
    pairs = [
        (change.contact.pk, existing[name.lower()].pk) for change in changed for name in change.tags
    ]
    if connection.vendor != "postgresql":
        through = Contact.tags.through
        through.objects.bulk_create(
            [through(contact_id=c, tag_id=t) for c, t in pairs], ignore_conflicts=True
        )
        return
    with connection.cursor() as cursor:
        # Two arrays of ids instead of 2,000 model instances (bulk_create's cost here).
        cursor.execute(TAG_LINKS, [[c for c, _ in pairs], [t for _, t in pairs]])


def _event(change: Change, actor: Any, writer: str, by: str, now: datetime) -> ContactEvent:
    data: dict[str, Any] = {"by": by, "writer": writer}
    if change.changes:
        data["changes"] = change.changes
    if change.identities:
        # Kind and normalised value: str(identity) formats phone numbers, 1 ms each.
        data["identities"] = [
            f"{IdentityKind(identity.kind).label}: {identity.normalised}"
            for identity in change.identities
        ]
        if len(change.identities) == 1:
            data["identity"] = data["identities"][0]
    if change.consents:
        data["consent"] = [
            {"purpose": c.purpose, "state": c.state, "basis": c.basis, "source": c.source}
            for c in change.consents
        ]
    if change.created:
        kind = ContactEvent.Kind.CREATED
        data["contact_kind"] = change.contact.kind
    elif change.changes or change.identities:
        kind = ContactEvent.Kind.UPDATED
    else:
        kind = ContactEvent.Kind.CONSENT_CHANGED
    return ContactEvent(contact=change.contact, kind=kind, actor=actor, data=data, created_at=now)
