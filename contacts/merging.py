"""Merging two contacts into one, and undoing it.

Nothing is dropped: the absorbed contact keeps its own values and is only marked as folded
into the survivor; every row that points at it (identities, notes, and the inbox's
conversations once they exist) moves to the survivor, and the merge event lists exactly what
moved, so an undo can put it back while the survivor has not changed since.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, ForeignKey, Model, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from contacts.access import require
from contacts.attributes import FIELD_KEYS
from contacts.models import AttributeDefinition, Contact, ContactEvent, ContactKind, Identity, Tag
from contacts.sharing import addresses_of, settle_sharing
from lib.errors import ActionRefused
from lib.events import emit

# Rows of these relations stay with their contact: its own history and merge bookkeeping.
STAYING_RELATIONS = {"events", "absorbed"}


@dataclass(frozen=True)
class MergeRow:
    """One attribute in the merge preview: what each side has."""

    key: str
    label: str
    survivor_value: Any
    absorbed_value: Any

    @property
    def differs(self) -> bool:
        return bool(self.absorbed_value) and self.absorbed_value != self.survivor_value

    @property
    def default_choice(self) -> str:
        """Keep the survivor's value unless it has none."""
        return "absorbed" if self.absorbed_value and not self.survivor_value else "survivor"


def survivor_for(first: Contact, second: Contact) -> tuple[Contact, Contact] | None:
    """The forced (survivor, absorbed) pair where the kinds decide, or None where the user
    chooses (identified + identified, curated + curated). Raises ActionRefused for a pair
    that may not be merged at all."""
    kinds = {first.kind, second.kind}
    if first.pk == second.pk:
        raise ActionRefused(_("A contact cannot be merged with itself."))
    if first.is_merged or second.is_merged:
        raise ActionRefused(_("One of these contacts was already merged into another."))
    if kinds == {ContactKind.EPHEMERAL}:
        raise ActionRefused(
            _("Two ephemeral contacts cannot be merged. Promote one of them first.")
        )
    if kinds == {ContactKind.CURATED, ContactKind.IDENTIFIED} or kinds == {
        ContactKind.CURATED,
        ContactKind.EPHEMERAL,
    }:
        return (first, second) if first.kind == ContactKind.CURATED else (second, first)
    if kinds == {ContactKind.IDENTIFIED, ContactKind.EPHEMERAL}:
        return (first, second) if first.kind == ContactKind.IDENTIFIED else (second, first)
    return None


def merge_preview(survivor: Contact, absorbed: Contact) -> list[MergeRow]:
    """Per editable attribute, the survivor's and the absorbed contact's value."""
    rows = []
    for definition in AttributeDefinition.objects.all():
        key = definition.key
        if key in ("email", "phone", "tags"):
            continue  # identities and tags are united, not chosen
        rows.append(
            MergeRow(
                key=key,
                label=definition.display_label,
                survivor_value=_value(survivor, key),
                absorbed_value=_value(absorbed, key),
            )
        )
    return rows


def _value(contact: Contact, key: str) -> Any:
    if key in FIELD_KEYS:
        return getattr(contact, key)
    return contact.attributes.get(key, "")


def _snapshot(contact: Contact) -> dict[str, Any]:
    return {
        "kind": contact.kind,
        **{key: getattr(contact, key) for key in FIELD_KEYS},
        "attributes": dict(contact.attributes),
        "is_blocked": contact.is_blocked,
        "blocked_reason": contact.blocked_reason,
        "tags": sorted(contact.tags.values_list("id", flat=True)),
    }


def _moving_relations() -> list[tuple[str, type[Model], str]]:
    """(name, model, fk field) of every one-to-many relation that points at Contact."""
    relations: list[tuple[str, type[Model], str]] = []
    for relation in Contact._meta.related_objects:
        if relation.get_accessor_name() in STAYING_RELATIONS:
            continue
        if isinstance(relation.field, ForeignKey) and not isinstance(relation.related_model, str):
            relations.append(
                (relation.related_model._meta.label, relation.related_model, relation.field.name)
            )
    return relations


@transaction.atomic
def merge_contacts(
    *, survivor: Contact, absorbed: Contact, choices: dict[str, str], actor: Any
) -> ContactEvent:
    """Fold `absorbed` into `survivor` in one transaction.

    `choices` maps an attribute key to "survivor" or "absorbed" (whose value to keep; keys
    left out keep the survivor's value, or take the absorbed one where the survivor has
    none). Identities, notes and every other row pointing at `absorbed` move; tags are
    united. Records a MERGED event with the survivor's full before-state and what moved.
    """
    require(actor, "merge")
    locked = {
        c.pk: c
        for c in Contact.objects.select_for_update()
        .filter(pk__in=[survivor.pk, absorbed.pk])
        .order_by("pk")
    }
    survivor, absorbed = locked[survivor.pk], locked[absorbed.pk]
    forced = survivor_for(survivor, absorbed)
    if forced is not None and forced[0].pk != survivor.pk:
        raise ActionRefused(_("%(name)s must be the contact that remains.") % {"name": forced[0]})

    before = _snapshot(survivor)
    for row in merge_preview(survivor, absorbed):
        choice = choices.get(row.key) or row.default_choice
        if choice == "absorbed" and row.absorbed_value not in ("", None):
            if row.key in FIELD_KEYS:
                setattr(survivor, row.key, row.absorbed_value)
            else:
                survivor.attributes[row.key] = row.absorbed_value
    for key, value in absorbed.attributes.items():
        survivor.attributes.setdefault(key, value)

    added_tags = list(
        Tag.objects.filter(contacts=absorbed)
        .exclude(contacts=survivor)
        .values_list("id", flat=True)
    )
    survivor.tags.add(*added_tags)

    # An address both contacts hold (shared) stays once: the absorbed contact's row stays
    # with it, out of matching, for an undo (contacts.sharing).
    duplicates = _duplicate_identities(survivor, absorbed)
    moved: dict[str, list[int]] = {}
    for label, model, field_name in _moving_relations():
        rows = model._default_manager.filter(**{field_name: absorbed})
        if model is Identity:
            rows = rows.exclude(pk__in=duplicates)
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            rows.update(**{field_name: survivor})
            moved[label] = ids

    if absorbed.is_blocked and not survivor.is_blocked:
        survivor.is_blocked, survivor.blocked_reason = True, absorbed.blocked_reason
    survivor.last_activity_at = max(survivor.last_activity_at, absorbed.last_activity_at)
    survivor.version += 1
    survivor.save()
    absorbed.merged_into = survivor
    absorbed.save(update_fields=["merged_into"])
    settle_sharing(addresses_of(Identity.objects.filter(pk__in=duplicates)))

    emit(
        Organisation.SINGLETON_ID,
        "contact.merged",
        {"contact": survivor.pk, "absorbed": absorbed.pk},
        personal=True,
    )
    return ContactEvent.objects.create(
        contact=survivor,
        kind=ContactEvent.Kind.MERGED,
        actor=actor,
        data={
            "absorbed": absorbed.pk,
            "absorbed_name": str(absorbed),
            "survivor_before": before,
            "moved": moved,
            "added_tags": added_tags,
            "version_after": survivor.version,
        },
    )


def _duplicate_identities(survivor: Contact, absorbed: Contact) -> list[int]:
    """The absorbed contact's rows of addresses the survivor holds too."""
    held = Identity.objects.filter(
        contact=survivor, kind=OuterRef("kind"), normalised=OuterRef("normalised")
    )
    return list(
        Identity.objects.filter(contact=absorbed).filter(Exists(held)).values_list("pk", flat=True)
    )


def undo_blocker(event: ContactEvent) -> str | None:
    """Why this merge cannot be undone any more, or None when it can."""
    survivor = event.contact
    if ContactEvent.objects.filter(
        kind=ContactEvent.Kind.MERGE_UNDONE, data__merge_event=event.pk
    ).exists():
        return _("This merge has already been undone.")
    if survivor.version != event.data.get("version_after"):
        return _("%(name)s has changed since the merge, so it can no longer be undone.") % {
            "name": survivor
        }
    absorbed = Contact.objects.filter(pk=event.data.get("absorbed"), merged_into=survivor).first()
    if absorbed is None:
        return _("The merged contact no longer exists.")
    return None


@transaction.atomic
def undo_merge(event: ContactEvent, *, actor: Any) -> Contact:
    """Split a merge: restore the survivor's before-state and move back what moved.
    Refused once either contact has changed since. Returns the restored contact."""
    require(actor, "merge")
    survivor = Contact.objects.select_for_update().get(pk=event.contact_id)
    event.contact = survivor
    if reason := undo_blocker(event):
        raise ActionRefused(reason)
    absorbed = Contact.objects.select_for_update().get(pk=event.data["absorbed"])
    before = event.data["survivor_before"]

    for key in FIELD_KEYS:
        setattr(survivor, key, before[key])
    survivor.attributes = before["attributes"]
    survivor.kind = before["kind"]
    survivor.is_blocked, survivor.blocked_reason = before["is_blocked"], before["blocked_reason"]
    survivor.tags.remove(*event.data.get("added_tags", []))
    for label, model, field_name in _moving_relations():
        ids = event.data["moved"].get(label)
        if ids:
            model._default_manager.filter(pk__in=ids, **{field_name: survivor}).update(
                **{field_name: absorbed}
            )
    survivor.version += 1
    survivor.save()
    absorbed.merged_into = None
    absorbed.updated_at = timezone.now()
    absorbed.save(update_fields=["merged_into", "updated_at"])
    # The addresses both held are shared again.
    settle_sharing(addresses_of(absorbed.identities.all()))
    ContactEvent.objects.create(
        contact=survivor,
        kind=ContactEvent.Kind.MERGE_UNDONE,
        actor=actor,
        data={"merge_event": event.pk, "restored": absorbed.pk},
    )
    return absorbed
