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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.access import require
from contacts.attributes import FIELD_KEYS, clean_value
from contacts.consent import (
    PURPOSE_OF_CHANNEL,
    Consent,
    ConsentBasis,
    ConsentSource,
    ConsentState,
    Purpose,
)
from contacts.identities import (
    MAX_IDENTITY_LENGTH,
    IdentityKind,
    normalise_email,
    normalise_phone,
)
from contacts.models import (
    AttributeDefinition,
    Contact,
    ContactEvent,
    ContactKind,
    Identity,
    IdentitySource,
    Tag,
)
from contacts.provenance import Writer, ownership_error, stamp, writer_label
from lib.errors import Conflict
from lib.events import emit_many

MAX_ITEMS = 1000
MAX_TAG_LENGTH = 50
MAX_SOURCE_SYSTEM_LENGTH = 50
# Contact fields an item sets directly; the rest of FIELD_KEYS may come in `attributes`.
ITEM_FIELDS = ("first_name", "last_name", "company")
IDENTITY_SOURCE = {
    Writer.AGENT: IdentitySource.AGENT,
    Writer.CRM: IdentitySource.CRM,
    Writer.IMPORT: IdentitySource.IMPORT,
}
CONSENT_CHANNELS = ("email", "sms", "whatsapp")
EMPTY: tuple[Any, ...] = ("", None, [], {})

Key = tuple[str, str]  # (identity kind, normalised value)


@dataclass
class ConsentInput:
    """Marketing consent for the item's address on `channel` (email → its e-mail address,
    sms/whatsapp → its phone number). Without `basis` and `source` nothing is recorded (the
    result says so): consent is evidence (UWG §7), and a grant also needs `evidence`."""

    channel: str = ""
    state: str = ConsentState.GRANTED
    basis: str = ""
    source: str = ""
    evidence: str = ""
    purpose: str = ""  # the channel's marketing purpose when blank
    at: datetime | None = None


@dataclass
class UpsertItem:
    external_id: str = ""  # with source_system: an identity of kind "external_id"
    source_system: str = ""
    email: str = ""
    phone: str = ""
    # None leaves a field as it is; "" clears it.
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    # Custom attributes by key, and the built-in job_title, gender, account_id, remarks;
    # None or "" clears one.
    attributes: dict[str, Any] = field(default_factory=dict)
    # Added to the contact's tags (never removed).
    tags: list[str] = field(default_factory=list)
    consent: ConsentInput | None = None
    ref: str = ""  # the caller's row/item reference, echoed back


@dataclass
class UpsertResult:
    ref: str
    status: str  # "created" | "updated" | "unchanged" | "error"
    contact_id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    candidates: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class BatchConflict(Conflict):
    """A concurrent write took an address of the batch first: nothing was written."""


def external_key(external_id: str, source_system: str = "") -> str:
    """The normalised value of an external id: `<system>:<id>` (the system lower-cased), or
    the id alone without a system (as an agent types it in the Identities tab)."""
    external_id = external_id.strip()
    system = source_system.strip().lower()
    return f"{system}:{external_id}" if system else external_id


@dataclass
class _Prepared:
    """An item after validation: normalised identifiers and cleaned values."""

    index: int
    item: UpsertItem
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    external: str = ""
    email: str = ""
    phone: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    consent: dict[str, Any] | None = None

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(str(message))

    @property
    def levels(self) -> list[list[Key]]:
        """The item's identifiers in matching order: external id, e-mail, phone."""
        levels: list[list[Key]] = []
        if self.external:
            levels.append([(IdentityKind.EXTERNAL_ID, self.external)])
        if self.email:
            levels.append([(IdentityKind.EMAIL, self.email)])
        if self.phone:
            levels.append([(IdentityKind.PHONE, self.phone), (IdentityKind.WHATSAPP, self.phone)])
        return levels

    @property
    def own_keys(self) -> list[Key]:
        """The identities the contact should hold afterwards."""
        keys: list[Key] = []
        if self.external:
            keys.append((IdentityKind.EXTERNAL_ID, self.external))
        if self.email:
            keys.append((IdentityKind.EMAIL, self.email))
        if self.phone:
            keys.append((IdentityKind.PHONE, self.phone))
        return keys


@dataclass
class _Change:
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
    prepared = [_prepare(i, item, definitions) for i, item in enumerate(items)]
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


# --- Validation (no queries) ---------------------------------------------------------------


def _prepare(
    index: int, item: UpsertItem, definitions: dict[str, AttributeDefinition]
) -> _Prepared:
    p = _Prepared(index=index, item=item)
    _prepare_identifiers(p)
    for key in ITEM_FIELDS:
        value = getattr(item, key)
        if value is not None:
            _prepare_value(p, key, value, definitions, field_name=key)
    if not isinstance(item.attributes, dict):
        p.error("attributes", _("Send the attributes as an object of key and value."))
    else:
        for key, value in item.attributes.items():
            name = f"attributes.{key}"
            if key in ("email", "phone", "tags") or key in ITEM_FIELDS:
                p.error(name, _("%(key)s is sent as a field of its own.") % {"key": key})
            elif isinstance(value, dict | list):
                p.error(name, _("Send a text, number or true/false."))
            else:
                _prepare_value(p, str(key), value, definitions, field_name=name)
    _prepare_tags(p)
    if item.consent is not None:
        _prepare_consent(p, item.consent)
    if not (p.external or p.email or p.phone) and not p.errors:
        p.error("", _("Send an external id, an e-mail address or a phone number to match by."))
    return p


def _prepare_identifiers(p: _Prepared) -> None:
    item = p.item
    external = (item.external_id or "").strip()
    system = (item.source_system or "").strip()
    if system and not external:
        p.error("external_id", _("Send the external id that goes with the source system."))
    if external:
        if len(system) > MAX_SOURCE_SYSTEM_LENGTH or ":" in system:
            p.error(
                "source_system",
                _("Name the source system in at most %(max)s characters, without a colon.")
                % {"max": MAX_SOURCE_SYSTEM_LENGTH},
            )
        key = external_key(external, system)
        if len(key) > MAX_IDENTITY_LENGTH:
            p.error("external_id", _("This external id is too long."))
        elif "source_system" not in p.errors:
            p.external = key
    for name, normaliser in (("email", normalise_email), ("phone", normalise_phone)):
        raw = (getattr(item, name) or "").strip()
        if not raw:
            continue
        if len(raw) > MAX_IDENTITY_LENGTH:
            p.error(name, _("This address is too long."))
            continue
        try:
            setattr(p, name, normaliser(raw))
        except ValidationError as invalid:
            for message in invalid.messages:
                p.error(name, message)


def _prepare_value(
    p: _Prepared,
    key: str,
    raw: Any,
    definitions: dict[str, AttributeDefinition],
    *,
    field_name: str,
) -> None:
    definition = definitions.get(key)
    is_field = key in FIELD_KEYS
    if definition is None or (definition.is_builtin and not is_field):
        p.error(field_name, _("There is no attribute “%(key)s”.") % {"key": key})
        return
    if definition.read_only:
        p.error(field_name, _("This attribute is read-only: nobody writes it here."))
        return
    try:
        value = clean_value(definition, raw)
    except ValidationError as invalid:
        for message in invalid.messages:
            p.error(field_name, message)
        return
    if is_field:
        max_length = getattr(Contact._meta.get_field(key), "max_length", None)
        value = value or ""
        if max_length and len(value) > max_length:
            p.error(field_name, _("Use at most %(max)s characters.") % {"max": max_length})
            return
        p.fields[key] = value
    else:
        p.attributes[key] = value


def _prepare_tags(p: _Prepared) -> None:
    if not isinstance(p.item.tags, list):
        p.error("tags", _("Send the tags as a list."))
        return
    names: dict[str, str] = {}
    for raw in p.item.tags:
        name = str(raw).strip()
        if not name:
            continue
        if "," in name or len(name) > MAX_TAG_LENGTH:
            p.error("tags", _("A tag has at most 50 characters and no comma."))
            return
        names.setdefault(name.lower(), name)
    p.tags = list(names.values())


def _prepare_consent(p: _Prepared, consent: ConsentInput) -> None:
    channel = (consent.channel or "").strip()
    if channel not in CONSENT_CHANNELS:
        p.error("consent.channel", _("Choose the channel: email, sms or whatsapp."))
        return
    address = p.email if channel == "email" else p.phone
    if not address:
        p.error(
            "consent.channel",
            _("Send the e-mail address the consent is for.")
            if channel == "email"
            else _("Send the phone number the consent is for."),
        )
        return
    purpose = (consent.purpose or "").strip() or PURPOSE_OF_CHANNEL[channel]
    if purpose not in Purpose.values:
        p.error("consent.purpose", _("Choose a purpose."))
    if consent.state not in ConsentState.values:
        p.error("consent.state", _("Choose granted or withdrawn."))
    basis, source = (consent.basis or "").strip(), (consent.source or "").strip()
    if basis and basis not in ConsentBasis.values:
        p.error("consent.basis", _("Choose a basis: consent or existing_customer."))
    if source and source not in ConsentSource.values:
        p.error("consent.source", _("Choose a source: form, import, crm, agent or keyword."))
    evidence = (consent.evidence or "").strip()
    if consent.state == ConsentState.GRANTED and basis and source and not evidence:
        p.error(
            "consent.evidence",
            _("Say where and how the consent was given: the form, the file, the conversation."),
        )
    if any(key.startswith("consent.") for key in p.errors):
        return
    if not (basis and source):
        p.warnings.append(_("No consent was recorded: consent needs its basis and its source."))
        return
    p.consent = {
        "channel": channel,
        "purpose": purpose,
        "state": consent.state,
        "basis": basis,
        "source": source,
        "evidence": evidence,
        "at": consent.at,
    }


# --- Matching and applying -----------------------------------------------------------------


def _lookup(prepared: list[_Prepared], *, lock: bool) -> dict[Key, Identity]:
    """Every existing identity of the batch's identifiers, with its contact: one query."""
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
    return {(row.kind, row.normalised): row for row in rows}


def _run(
    organisation: Any,
    prepared: list[_Prepared],
    definitions: dict[str, AttributeDefinition],
    actor: Any,
    writer: str,
    source: str,
    *,
    write: bool,
) -> list[UpsertResult]:
    found = _lookup(prepared, lock=write)
    contacts = {identity.contact_id: identity.contact for identity in found.values()}
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
    changes: dict[Any, _Change] = {}
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
            change = _Change(contact=contact, created=True)
            target = ("new", p.index, p.item.ref)
        else:
            change = changes.get(target) or _Change(
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
        _write(organisation, [c for c in changes.values() if c.changed], actor, writer, by, now)
        for p, result in zip(prepared, results, strict=True):
            if result.status == "created" and result.contact_id is None:
                result.contact_id = changes[("new", p.index, p.item.ref)].contact.pk
    return results


def _match(
    p: _Prepared, found: dict[Key, Identity], claimed: dict[Key, Any], result: UpsertResult
) -> Any:
    """The contact the item updates (its id), None for a new one; errors on the result."""
    decided: Any = None
    candidates: set[Any] = set()
    for keys in p.levels:
        owners = set()
        for key in keys:
            if key in found:
                owners.add(found[key].contact_id)
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


def _current(contact: Contact, key: str, change: _Change) -> Any:
    if key in FIELD_KEYS:
        return getattr(contact, key)
    return (contact.attributes or {}).get(key)


def _apply(
    p: _Prepared,
    change: _Change,
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
    p: _Prepared, change: _Change, found: dict[Key, Identity], writer: str, now: datetime
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
    prepared: list[_Prepared], found: dict[Key, Identity]
) -> dict[tuple[int, str], Consent]:
    """The latest consent row per (identity, purpose) of the batch's existing identities that
    an item gives consent for: one query, and only when an item does."""
    ids = set()
    for p in prepared:
        if p.consent is None or p.errors:
            continue
        key = _consent_key(p)
        if key in found:
            ids.add(found[key].pk)
    if not ids:
        return {}
    latest: dict[tuple[int, str], Consent] = {}
    for row in Consent.objects.filter(identity_id__in=sorted(ids)).order_by(
        "identity_id", "purpose", "-at", "-id"
    ):
        latest.setdefault((row.identity_id, row.purpose), row)
    return latest


def _consent_key(p: _Prepared) -> Key:
    channel = (p.consent or {}).get("channel")
    if channel == "email":
        return (IdentityKind.EMAIL, p.email)
    if channel == "whatsapp":
        return (IdentityKind.WHATSAPP, p.phone)
    return (IdentityKind.PHONE, p.phone)


def _consent(
    p: _Prepared,
    change: _Change,
    found: dict[Key, Identity],
    latest: dict[tuple[int, str], Consent],
    actor: Any,
    now: datetime,
    result: UpsertResult,
) -> None:
    if p.consent is None:
        return
    consent = p.consent
    key = _consent_key(p)
    identity = found.get(key) or next(
        (i for i in change.identities if (i.kind, i.normalised) == key), None
    )
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


# --- Writing (a fixed number of statements) ------------------------------------------------


def _write(
    organisation: Any,
    changed: list[_Change],
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
        Contact.objects.bulk_create([c.contact for c in new])
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
        Identity.objects.bulk_create(identities)
    _write_tags(changed)
    consents = [consent for change in changed for consent in change.consents]
    if consents:  # (an identity created just now lends its new id: _prepare_related_fields)
        Consent.objects.bulk_create(consents)
    ContactEvent.objects.bulk_create(_event(change, actor, writer, by, now) for change in changed)
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


def _write_tags(changed: list[_Change]) -> None:
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
    through = Contact.tags.through
    Contact.tags.through.objects.bulk_create(
        [
            through(contact_id=change.contact.pk, tag_id=existing[name.lower()].pk)
            for change in changed
            for name in change.tags
        ],
        ignore_conflicts=True,
    )


def _event(change: _Change, actor: Any, writer: str, by: str, now: datetime) -> ContactEvent:
    data: dict[str, Any] = {"by": by, "writer": writer}
    if change.changes:
        data["changes"] = change.changes
    if change.identities:
        data["identities"] = [str(identity) for identity in change.identities]
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
