"""Changes to contacts. Each action is atomic, checks its own rules and writes a ContactEvent.

Views call these after access.py has loaded the objects; actions re-check the rights that
depend on the object (note authorship, merge kinds) so no page can skip them.
"""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from contacts.access import require
from contacts.attributes import FIELD_KEYS, clean_value
from contacts.erasure import erasing
from contacts.hints import deletion_hint
from contacts.identities import IdentityKind, normalise
from contacts.models import (
    AttributeDefinition,
    Contact,
    ContactEvent,
    ContactKind,
    DeletedContact,
    Identity,
    IdentitySource,
    Note,
    NoteRevision,
    Tag,
)
from contacts.provenance import Writer, ownership_error, stamp, writer_label

# Moving and removing identifiers live beside sharing them; callers use them from here.
from contacts.sharing import (  # noqa: F401
    addresses_of,
    claim_identity,
    holders,
    remove_identity,
    settle_sharing,
)
from lib.errors import ActionRefused
from lib.events import emit


class IdentityTaken(ActionRefused):
    """The address already belongs to another contact (or several share it): it can be
    claimed (moved) or shared instead (contacts.sharing). `identity` is the first holder's
    row, `holders` every active holder's."""

    def __init__(self, identity: Identity, holders: Sequence[Identity] = ()) -> None:
        self.holders = list(holders) or [identity]
        names = ", ".join(str(row.contact) for row in self.holders)
        if len(self.holders) > 1:
            text = _("%(address)s is shared by %(names)s.")
        else:
            text = _("%(address)s already belongs to %(names)s.")
        super().__init__(text % {"address": identity.display_value, "names": names})
        self.identity = identity

    @property
    def is_shared(self) -> bool:
        return len(self.holders) > 1


def _event(contact: Contact, kind: str, actor: Any, **data: Any) -> ContactEvent:
    return ContactEvent.objects.create(contact=contact, kind=kind, actor=actor, data=data)


def _emit_updated(contact: Contact, *fields: str) -> None:
    """contact.updated for other systems (lib.events), in the caller's transaction."""
    emit(
        Organisation.SINGLETON_ID,
        "contact.updated",
        {"contact": contact.pk, "fields": list(fields)},
        personal=True,
    )


def _bump(contact: Contact) -> None:
    Contact.objects.filter(pk=contact.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    contact.refresh_from_db(fields=["version", "updated_at"])


@transaction.atomic
def create_contact(
    *,
    actor: Any,
    kind: str = ContactKind.CURATED,
    first_name: str = "",
    last_name: str = "",
    company: str = "",
    identities: Sequence[tuple[str, str]] = (),
    source: str = IdentitySource.AGENT,
) -> Contact:
    """Create a contact with its identifiers. Raises ValidationError for a malformed address
    and IdentityTaken when one already belongs to someone (nothing is created then)."""
    if actor is not None:
        require(actor, "add")
    contact = Contact(kind=kind, first_name=first_name, last_name=last_name, company=company)
    if kind == ContactKind.EPHEMERAL:
        contact.expires_at = timezone.now() + timedelta(days=settings.EPHEMERAL_CONTACT_DAYS)
    contact.save()
    for identity_kind, value in identities:
        _attach_identity(contact, kind=identity_kind, value=value, source=source)
    _event(contact, ContactEvent.Kind.CREATED, actor, contact_kind=kind)
    emit(Organisation.SINGLETON_ID, "contact.created", {"contact": contact.pk}, personal=True)
    return contact


def _attach_identity(contact: Contact, *, kind: str, value: str, source: str) -> Identity:
    normalised = normalise(kind, value)
    if taken := holders(kind, normalised):
        raise IdentityTaken(taken[0], taken)
    try:
        with transaction.atomic():
            return Identity.objects.create(
                contact=contact,
                kind=kind,
                value=value.strip(),
                normalised=normalised,
                source=source,
            )
    except IntegrityError:
        # Someone stored the same address a moment ago; report it like any taken address.
        raise IdentityTaken(holders(kind, normalised)[0]) from None


@transaction.atomic
@transaction.atomic
def add_identity(contact: Contact, *, kind: str, value: str, actor: Any) -> Identity:
    """Add an identifier to `contact`. Raises ValidationError (malformed) or IdentityTaken."""
    require(actor, "edit")
    identity = _attach_identity(contact, kind=kind, value=value, source=IdentitySource.AGENT)
    if contact.kind == ContactKind.EPHEMERAL:
        Contact.objects.filter(pk=contact.pk).update(kind=ContactKind.IDENTIFIED, expires_at=None)
    _bump(contact)
    _event(contact, ContactEvent.Kind.IDENTITY_ADDED, actor, identity=str(identity))
    _emit_updated(contact, "identities")
    return identity


@transaction.atomic
def update_profile(
    contact: Contact,
    *,
    values: dict[str, Any],
    actor: Any,
    writer: str = Writer.AGENT,
    source: str = "",
) -> list[str]:
    """Write attribute values by key, each validated by its definition's type.

    Raises ValidationError with a message per key (nothing is saved then). Agents may write
    only visible, agent-editable attributes; nobody writes read-only ones here. Who owns an
    attribute decides too (contacts.provenance): CRM-owned ones only the CRM (`writer`
    "crm", a token with attributes:write_crm), and the CRM never overwrites an agent-owned
    value. Each changed key is stamped with `source` (else the actor) in the contact's
    provenance and its event. Returns the keys that changed.
    """
    require(actor, "edit")
    definitions = {d.key: d for d in AttributeDefinition.objects.filter(key__in=list(values))}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    is_admin = getattr(actor, "is_admin", False) or writer == Writer.CRM
    for key, raw in values.items():
        definition = definitions.get(key)
        if definition is None or definition.read_only or key in ("email", "phone"):
            errors[key] = [_("This attribute cannot be edited here.")]
            continue
        if definition.is_crm_owned and writer != Writer.CRM and key != "tags":
            errors[key] = [str(ownership_error(definition, writer=writer, current="", new=raw))]
            continue
        if not is_admin and not (definition.visible and definition.agent_editable):
            errors[key] = [_("Only an admin may edit this attribute.")]
            continue
        if key == "tags":
            cleaned[key] = sorted(
                {t.strip() for t in str(raw).split(",") if t.strip()}, key=str.lower
            )
            continue
        try:
            cleaned[key] = clean_value(definition, raw)
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)

    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    # The CRM fills agent-owned attributes while they are empty, never overwrites them.
    for key, value in cleaned.items():
        current = getattr(contact, key) if key in FIELD_KEYS else contact.attributes.get(key, "")
        if key != "tags" and current != value:
            refusal = ownership_error(definitions[key], writer=writer, current=current, new=value)
            if refusal:
                errors[key] = [refusal]
    if errors:
        raise ValidationError(errors)
    changed: dict[str, list[Any]] = {}
    for key, value in cleaned.items():
        if key == "tags":
            old = sorted(contact.tags.values_list("name", flat=True), key=str.lower)
            if old != value:
                contact.tags.set([_tag(name) for name in value])
                changed[key] = [old, value]
        elif key in FIELD_KEYS:
            if getattr(contact, key) != value:
                changed[key] = [getattr(contact, key), value]
                setattr(contact, key, value)
        elif contact.attributes.get(key, "") != value:
            changed[key] = [contact.attributes.get(key), value]
            if value in ("", None):
                contact.attributes.pop(key, None)
            else:
                contact.attributes[key] = value
    if not changed:
        return []
    by = writer_label(actor, source)
    stamp(contact, changed, by=by, writer=writer)
    contact.version += 1
    contact.save()
    _event(contact, ContactEvent.Kind.UPDATED, actor, changes=changed, by=by, writer=writer)
    _emit_updated(contact, *changed)
    return list(changed)


def _tag(name: str) -> Tag:
    existing = Tag.objects.filter(name__iexact=name).first()
    return existing or Tag.objects.create(name=name)


@transaction.atomic
def promote_contact(contact: Contact, *, actor: Any) -> None:
    """Make an ephemeral contact curated: it stops expiring and counts as a real person."""
    require(actor, "promote")
    if contact.kind != ContactKind.EPHEMERAL:
        raise ActionRefused(_("Only ephemeral contacts can be promoted."))
    Contact.objects.filter(pk=contact.pk).update(kind=ContactKind.CURATED, expires_at=None)
    _bump(contact)
    contact.refresh_from_db()
    _event(contact, ContactEvent.Kind.PROMOTED, actor)
    _emit_updated(contact, "kind")


@transaction.atomic
def create_from_ephemeral(contact: Contact, *, first_name: str, last_name: str, actor: Any) -> None:
    """Create the real contact of a new sender from the temporary one that holds their
    address: it gets the names and becomes curated, so it stops expiring. Done in place, so
    the address, its conversations and history stay with it (a second contact would find
    the address taken). Needs the right to add contacts; promoting as it is, unnamed, is
    promote_contact's (a manager's) right."""
    require(actor, "add")
    if contact.kind != ContactKind.EPHEMERAL:
        raise ActionRefused(_("Only a temporary contact can become a new contact this way."))
    first_name, last_name = first_name.strip()[:100], last_name.strip()[:100]
    if not first_name and not last_name:
        raise ActionRefused(_("Give the new contact a first or a last name."))
    changed = {
        key: [getattr(contact, key), value]
        for key, value in (("first_name", first_name), ("last_name", last_name))
        if getattr(contact, key) != value
    }
    by = writer_label(actor)
    contact.first_name, contact.last_name = first_name, last_name
    contact.kind, contact.expires_at = ContactKind.CURATED, None
    stamp(contact, changed, by=by, writer=Writer.AGENT)
    contact.version += 1
    contact.save()
    _event(
        contact,
        ContactEvent.Kind.CREATED,
        actor,
        contact_kind=ContactKind.CURATED,
        from_ephemeral=True,
        changes=changed,
        by=by,
        writer=Writer.AGENT,
    )
    _emit_updated(contact, "kind", *changed)


@transaction.atomic
def block_contact(contact: Contact, *, reason: str, actor: Any) -> None:
    """Inbound from the contact's identities is kept but flagged and not routed; nothing is
    sent to it. The reason is shown wherever that matters."""
    require(actor, "edit")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the contact is blocked.")]})
    Contact.objects.filter(pk=contact.pk).update(
        is_blocked=True, blocked_reason=reason, blocked_at=timezone.now()
    )
    _bump(contact)
    contact.refresh_from_db()
    _event(contact, ContactEvent.Kind.BLOCKED, actor, reason=reason)
    _emit_updated(contact, "is_blocked")


@transaction.atomic
def unblock_contact(contact: Contact, *, actor: Any) -> None:
    require(actor, "edit")
    Contact.objects.filter(pk=contact.pk).update(
        is_blocked=False, blocked_reason="", blocked_at=None
    )
    _bump(contact)
    contact.refresh_from_db()
    _event(contact, ContactEvent.Kind.UNBLOCKED, actor)
    _emit_updated(contact, "is_blocked")


@transaction.atomic
def add_note(contact: Contact, *, body: str, author: Any) -> Note:
    require(author, "view")
    body = body.strip()
    if not body:
        raise ValidationError({"body": [_("Write something first.")]})
    note = Note.objects.create(contact=contact, author=author, body=body)
    _event(contact, ContactEvent.Kind.NOTE_ADDED, author, note=note.pk)
    return note


def _ensure_may_change_note(note: Note, actor: Any) -> None:
    if note.author_id != actor.pk:
        raise PermissionDenied(_("Only the author can change a note."))
    if not Organisation.load().authors_may_edit_notes:
        raise PermissionDenied(_("Notes cannot be changed in this organisation."))


@transaction.atomic
def edit_note(note: Note, *, body: str, actor: Any) -> None:
    """Replace a note's text, keeping the previous text as a revision. Author only, and only
    where the organisation allows it."""
    _ensure_may_change_note(note, actor)
    body = body.strip()
    if not body:
        raise ValidationError({"body": [_("A note cannot be empty; delete it instead.")]})
    if body == note.body:
        return
    NoteRevision.objects.create(note=note, body=note.body)
    note.body = body
    note.edited_at = timezone.now()
    note.save(update_fields=["body", "edited_at"])
    _event(note.contact, ContactEvent.Kind.NOTE_EDITED, actor, note=note.pk)


@transaction.atomic
def delete_note(note: Note, *, actor: Any) -> None:
    _ensure_may_change_note(note, actor)
    contact = note.contact
    note_id = note.pk
    note.delete()
    _event(contact, ContactEvent.Kind.NOTE_DELETED, actor, note=note_id)


@transaction.atomic
def delete_contact(contact: Contact, *, actor: Any) -> DeletedContact:
    """Delete the contact with everything that hangs off it, leaving only a DeletedContact
    row that names no one. The addresses become free: the next message from one of them
    creates a new contact."""
    require(actor, "delete")
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    identities = list(contact.identities.all())
    for absorbed in contact.absorbed.all():
        identities += list(absorbed.identities.all())
        with erasing(absorbed, "delete"):
            absorbed.delete()
    record = DeletedContact.objects.create(
        hint=deletion_hint(contact, identities),
        channel=", ".join(sorted({str(IdentityKind(i.kind).label) for i in identities})),
        deleted_by=actor,
        deleted_by_name=str(actor),
    )
    _forget_identities_taken_from_others(contact)
    with erasing(contact, "delete"):
        contact.delete()
    # Only the deleted contact's rows went: whoever shared an address with it keeps theirs.
    settle_sharing(addresses_of(identities))
    emit(
        Organisation.SINGLETON_ID,
        "contact.deleted",
        {"deleted_contact": record.pk, "hint": record.hint},
    )
    return record


@transaction.atomic
def anonymise_contact(contact: Contact, *, actor: Any) -> None:
    """Replace personal data and remove identifiers, keeping the row, its counts and its
    history (scrubbed of personal values) for reports."""
    require(actor, "delete")
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    addresses = addresses_of(
        Identity.objects.filter(contact__in=[contact, *contact.absorbed.all()])
    )
    with erasing(contact, "anonymise"):
        for absorbed in contact.absorbed.all():
            with erasing(absorbed, "delete"):
                absorbed.delete()
    contact.identities.all().delete()
    settle_sharing(addresses)
    contact.tags.clear()
    for field in FIELD_KEYS:
        setattr(contact, field, "")
    contact.attributes = {}
    contact.is_blocked = False
    contact.blocked_reason = ""
    contact.anonymised_at = timezone.now()
    contact.version += 1
    contact.save()
    NoteRevision.objects.filter(note__contact=contact).delete()
    Note.objects.filter(contact=contact).update(body=_("[removed when the contact was anonymised]"))
    ContactEvent.objects.filter(contact=contact).update(data={})
    _forget_identities_taken_from_others(contact)
    _event(contact, ContactEvent.Kind.ANONYMISED, actor)
    _emit_updated(contact, "anonymised")


def _forget_identities_taken_from_others(contact: Contact) -> None:
    """The contacts that lost an identifier to `contact` keep the event, not the identifier:
    it is the erased person's."""
    lost = ContactEvent.objects.filter(
        kind=ContactEvent.Kind.IDENTITY_LOST, data__to_contact=contact.pk
    )
    for event in lost:
        event.data.pop("identity", None)
        event.save(update_fields=["data"])


def record_export(contact: Contact, *, actor: Any, file_format: str) -> None:
    _event(contact, ContactEvent.Kind.EXPORTED, actor, format=file_format)
