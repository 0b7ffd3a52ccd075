"""Create or update many contacts at once, matched by their identifiers: the engine behind the
API's `POST /api/v1/contacts/batch` and the CSV import (issue 12).

Each item is matched by its external id (an identity of kind `external_id`, normalised as
`<source system>:<id>`), then its e-mail address, then its phone number (normalised as
everywhere, contacts.identities). The first of these that finds a contact decides; a later
one that finds *another* contact, or a phone number held by two contacts, makes the item an
error "ambiguous" with the candidates' ids — never an automatic merge. An item with field
errors (a malformed address, a value of the wrong type, an unknown attribute, an attribute
the writer does not own) is an error of its own; the other items are still written.

Set-based (DESIGN.md §8): one query looks up every identifier of the batch, contacts,
identities, tags, consent and events are written with bulk_create/bulk_update, all in one
transaction, with one ContactEvent per changed contact and none for an unchanged one; so a
batch of 1,000 costs the same dozen queries as a batch of ten. `dry_run` answers the same
results and writes nothing.

Who may write what (contacts.provenance): `writer` is "agent" (a person, or a token acting
for its creator), "crm" (a token with `attributes:write_crm`) or "import"; every attribute
written is stamped with `source` (a token's or file's name) in Contact.provenance and in the
contact's event.
"""

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.access import require
from contacts.attributes import FIELD_KEYS
from contacts.consent import Consent
from contacts.identities import MAX_IDENTITY_LENGTH, IdentityKind
from contacts.models import (
    AttributeDefinition,
    Contact,
    ContactKind,
    Identity,
    IdentitySource,
)
from contacts.provenance import Writer, ownership_error, stamp, writer_label
from contacts.upsert_input import (
    ITEM_FIELDS,
    ConsentInput,
    Key,
    Prepared,
    UpsertItem,
    UpsertResult,
    external_key,
    prepare,
)
from contacts.upsert_write import Change, write_changes
from lib.errors import Conflict

__all__ = [
    "MAX_ITEMS",
    "BatchConflict",
    "ConsentInput",
    "UpsertItem",
    "UpsertResult",
    "external_key",
    "upsert_contacts",
]

MAX_ITEMS = 1000
IDENTITY_SOURCE = {
    Writer.AGENT: IdentitySource.AGENT,
    Writer.CRM: IdentitySource.CRM,
    Writer.IMPORT: IdentitySource.IMPORT,
}
EMPTY: tuple[Any, ...] = ("", None, [], {})


class BatchConflict(Conflict):
    """A concurrent write took an address of the batch first: nothing was written."""


def upsert_contacts(
    organisation: Any,
    items: list[UpsertItem],
    *,
    actor: Any,
    writer: str,
    source: str,
    dry_run: bool = False,
) -> list[UpsertResult]:
    """Create or update a contact per item; one result per item, in the items' order.

    `actor` is the user in whose name it happens (the token's creator, the importing user;
    it needs the rights to add and edit contacts: PermissionDenied otherwise), `writer` one
    of contacts.provenance.Writer, `source` the name the history shows ("HubSpot sync",
    "contacts.csv"). Raises ValidationError for more than MAX_ITEMS items or an unknown
    writer, BatchConflict when a concurrent request stored one of the batch's addresses
    first (nothing is written then; send the batch again). With `dry_run` nothing is
    written and created contacts have no id."""
    if writer not in Writer.values:
        raise ValidationError(_("Unknown writer: %(writer)s") % {"writer": writer})
    if len(items) > MAX_ITEMS:
        raise ValidationError(
            _("Send at most %(max)s contacts per batch.") % {"max": MAX_ITEMS}, code="too_many"
        )
    if actor is not None:
        require(actor, "add")
        require(actor, "edit")
    definitions = {d.key: d for d in AttributeDefinition.objects.all_cached()}
    prepared = [prepare(i, item, definitions) for i, item in enumerate(items)]
    if dry_run:
        return _run(organisation, prepared, definitions, actor, writer, source, write=False)
    try:
        with transaction.atomic():
            return _run(organisation, prepared, definitions, actor, writer, source, write=True)
    except IntegrityError:
        raise BatchConflict(
            _(
                "Another request stored one of these addresses at the same moment. Nothing "
                "was written; send the batch again."
            )
        ) from None


# --- Matching and applying -----------------------------------------------------------------


def _lookup(prepared: list[Prepared], *, lock: bool) -> dict[Key, list[Identity]]:
    """Every existing identity of the batch's identifiers, with its contact: one query. An
    address several contacts share (contacts.sharing) has a row per sharer."""
    externals = {p.external for p in prepared if p.external and not p.errors}
    emails = {p.email for p in prepared if p.email and not p.errors}
    phones = {p.phone for p in prepared if p.phone and not p.errors}
    query = Q(pk__in=[])
    if externals:
        query |= Q(kind=IdentityKind.EXTERNAL_ID, normalised__in=sorted(externals))
    if emails:
        query |= Q(kind=IdentityKind.EMAIL, normalised__in=sorted(emails))
    if phones:
        query |= Q(
            kind__in=[IdentityKind.PHONE, IdentityKind.WHATSAPP], normalised__in=sorted(phones)
        )
    if not (externals or emails or phones):
        return {}
    rows = Identity.objects.filter(query).select_related("contact")
    if lock:
        # The matched contacts stay as read until the batch commits (no lost update).
        rows = rows.select_for_update(of=("contact",))
    found: dict[Key, list[Identity]] = defaultdict(list)
    for row in rows.filter(contact__merged_into__isnull=True).order_by("id"):
        found[(row.kind, row.normalised)].append(row)
    return dict(found)


def _run(
    organisation: Any,
    prepared: list[Prepared],
    definitions: dict[str, AttributeDefinition],
    actor: Any,
    writer: str,
    source: str,
    *,
    write: bool,
) -> list[UpsertResult]:
    found = _lookup(prepared, lock=write)
    contacts = {row.contact_id: row.contact for rows in found.values() for row in rows}
    tag_names: dict[int, list[str]] = defaultdict(list)
    if contacts and any(p.tags for p in prepared):
        for contact_id, name in Contact.tags.through.objects.filter(
            contact_id__in=list(contacts)
        ).values_list("contact_id", "tag__name"):
            tag_names[contact_id].append(name)
    latest_consent = _latest_consents(prepared, found)

    now = timezone.now()
    by = writer_label(actor, source)
    # What an earlier item of the batch holds: an existing contact's id, or ("new", index).
    claimed: dict[Key, Any] = {}
    changes: dict[Any, Change] = {}
    results: list[UpsertResult] = []
    for p in prepared:
        result = UpsertResult(ref=p.item.ref, status="error", warnings=list(p.warnings))
        results.append(result)
        if p.errors:
            result.errors = p.errors
            continue
        target = _match(p, found, claimed, result)
        if result.errors:
            continue
        if target is None:
            contact = Contact(kind=ContactKind.CURATED, created_at=now, last_activity_at=now)
            change = Change(contact=contact, created=True)
            target = ("new", p.index, p.item.ref)
        else:
            change = changes.get(target) or Change(
                contact=contacts[target], tag_names=list(tag_names.get(target, []))
            )
        before = change.footprint()
        if not _apply(p, change, definitions, writer, result):
            continue
        _attach(p, change, found, writer, now)
        _consent(p, change, found, latest_consent, actor, now, result)
        for key in p.own_keys:
            claimed.setdefault(key, target)
        changes[target] = change
        if change.created:
            result.status = "created"
        elif change.footprint() != before:
            result.status = "updated"
        else:
            result.status = "unchanged"
        result.contact_id = change.contact.pk
        stamped = [k for k in p.fields if k in change.changes] + [
            k for k in p.attributes if k in change.changes
        ]
        if change.tags and "tags" not in stamped:
            stamped.append("tags")
        stamp(change.contact, stamped, by=by, writer=writer, at=now)
    # A contact that several items changed is written once, with one event.
    if write:
        write_changes(
            organisation, [c for c in changes.values() if c.changed], actor, writer, by, now
        )
        for p, result in zip(prepared, results, strict=True):
            if result.status == "created" and result.contact_id is None:
                result.contact_id = changes[("new", p.index, p.item.ref)].contact.pk
    return results


def _match(
    p: Prepared, found: dict[Key, list[Identity]], claimed: dict[Key, Any], result: UpsertResult
) -> Any:
    """The contact the item updates (its id), None for a new one; errors on the result."""
    decided: Any = None
    candidates: set[Any] = set()
    for keys in p.levels:
        owners: set[Any] = set()
        for key in keys:
            owners.update(row.contact_id for row in found.get(key, ()))
            if key in claimed:
                owners.add(claimed[key])
        if not owners:
            continue
        new_owners: list[Any] = [o for o in owners if isinstance(o, tuple)]
        if new_owners:
            _new, index, ref = new_owners[0]
            result.errors = {
                "": [
                    _(
                        "An earlier item of this batch (%(ref)s) has the same identifier and "
                        "creates the contact; send them as one item."
                    )
                    % {"ref": ref or f"#{index + 1}"}
                ]
            }
            return None
        if decided is None:
            if len(owners) > 1:
                candidates = owners
                break
            decided = next(iter(owners))
        elif decided not in owners:
            candidates = {decided, *owners}
            break
    if candidates:
        result.candidates = sorted(candidates)
        result.errors = {
            "": [
                _(
                    "Ambiguous: these identifiers belong to several contacts. Nothing was "
                    "merged; merge them in Switchboard or send one contact's identifiers."
                )
            ]
        }
        return None
    return decided


def _current(contact: Contact, key: str, change: Change) -> Any:
    if key in FIELD_KEYS:
        return getattr(contact, key)
    return (contact.attributes or {}).get(key)


def _apply(
    p: Prepared,
    change: Change,
    definitions: dict[str, AttributeDefinition],
    writer: str,
    result: UpsertResult,
) -> bool:
    """Check the item's values against ownership, then set them on the (unsaved) contact.
    False, with field errors and nothing changed, when the writer may not write one."""
    contact = change.contact
    wanted: dict[str, Any] = {**p.fields, **p.attributes}
    errors: dict[str, list[str]] = {}
    diffs: dict[str, list[Any]] = {}
    for key, new in wanted.items():
        old = _current(contact, key, change)
        if (old if old is not None else "") == (new if new is not None else ""):
            continue
        refusal = ownership_error(definitions[key], writer=writer, current=old, new=new)
        if refusal:
            errors[key if key in ITEM_FIELDS else f"attributes.{key}"] = [refusal]
            continue
        diffs[key] = [old, new]
    if errors:
        result.errors = errors
        return False
    attributes = dict(contact.attributes or {})
    for key, (old, new) in diffs.items():
        if key in FIELD_KEYS:
            setattr(contact, key, new)
        elif new in EMPTY:
            attributes.pop(key, None)
        else:
            attributes[key] = new
        first_old = change.changes.get(key, [old])[0]
        change.changes[key] = [first_old, new]
    contact.attributes = attributes
    known = {name.lower() for name in change.tag_names}
    added = [name for name in p.tags if name.lower() not in known]
    if added:
        before = sorted(change.tag_names, key=str.lower)
        change.tag_names.extend(added)
        change.tags.extend(added)
        change.changes["tags"] = [
            change.changes.get("tags", [before])[0],
            sorted(change.tag_names, key=str.lower),
        ]
    return True


def _attach(
    p: Prepared, change: Change, found: dict[Key, list[Identity]], writer: str, now: datetime
) -> None:
    """The item's identifiers the contact does not hold yet become its identities."""
    held = {(i.kind, i.normalised) for i in change.identities}
    for kind, normalised in p.own_keys:
        if (kind, normalised) in found or (kind, normalised) in held:
            continue
        given: dict[str, str] = {
            IdentityKind.EXTERNAL_ID: p.item.external_id,
            IdentityKind.EMAIL: p.item.email,
            IdentityKind.PHONE: p.item.phone,
        }
        value = (given[kind] or "").strip()
        change.identities.append(
            Identity(
                kind=kind,
                value=value[:MAX_IDENTITY_LENGTH],
                normalised=normalised,
                source=IDENTITY_SOURCE[Writer(writer)],
                first_seen_at=now,
                last_seen_at=now,
            )
        )


def _latest_consents(
    prepared: list[Prepared], found: dict[Key, list[Identity]]
) -> dict[tuple[int, str], Consent]:
    """The latest consent row per (identity, purpose) of the batch's existing identities that
    an item gives consent for: one query, and only when an item does."""
    ids: set[int] = set()
    for p in prepared:
        if p.consent is None or p.errors:
            continue
        ids.update(row.pk for row in found.get(_consent_key(p), ()))
    if not ids:
        return {}
    latest: dict[tuple[int, str], Consent] = {}
    for row in Consent.objects.filter(identity_id__in=sorted(ids)).order_by(
        "identity_id", "purpose", "-at", "-id"
    ):
        latest.setdefault((row.identity_id, row.purpose), row)
    return latest


def _consent_key(p: Prepared) -> Key:
    channel = (p.consent or {}).get("channel")
    if channel == "email":
        return (IdentityKind.EMAIL, p.email)
    if channel == "whatsapp":
        return (IdentityKind.WHATSAPP, p.phone)
    return (IdentityKind.PHONE, p.phone)


def _consent(
    p: Prepared,
    change: Change,
    found: dict[Key, list[Identity]],
    latest: dict[tuple[int, str], Consent],
    actor: Any,
    now: datetime,
    result: UpsertResult,
) -> None:
    if p.consent is None:
        return
    consent = p.consent
    key = _consent_key(p)
    # Of a shared address, the row of the contact the item updates.
    identity = next(
        (row for row in found.get(key, ()) if row.contact_id == change.contact.pk), None
    ) or next((i for i in change.identities if (i.kind, i.normalised) == key), None)
    if identity is None:
        result.warnings.append(
            _("No consent was recorded: the contact has no WhatsApp identity for this number.")
        )
        return
    if identity.pk is not None:
        current = latest.get((identity.pk, consent["purpose"]))
        same = current is not None and (current.state, current.basis, current.source) == (
            consent["state"],
            consent["basis"],
            consent["source"],
        )
        if same:
            return
    change.consents.append(
        Consent(
            identity=identity,
            purpose=consent["purpose"],
            state=consent["state"],
            basis=consent["basis"],
            source=consent["source"],
            evidence=consent["evidence"],
            reason=_("Batch upsert"),
            actor=actor,
            at=consent["at"] or now,
            recorded_at=now,
        )
    )
