"""Contact attributes: the built-in ones, typed validation of every value, and reading and
writing a contact's values by attribute key."""

import dataclasses
import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from contacts.identities import PHONE_KINDS, IdentityKind, normalise_email, normalise_phone
from contacts.models import (
    BUILTIN_LABELS,
    AttributeDefinition,
    AttributeType,
    Contact,
    Gender,
    Identity,
)

MAX_TEXT = 500


# key, type, choices: the order is the default order of a new installation.
BUILTINS: list[tuple[str, str, list[str]]] = [
    ("first_name", AttributeType.TEXT, []),
    ("last_name", AttributeType.TEXT, []),
    ("email", AttributeType.EMAIL, []),
    ("phone", AttributeType.PHONE, []),
    ("company", AttributeType.TEXT, []),
    ("job_title", AttributeType.TEXT, []),
    ("gender", AttributeType.CHOICE, list(Gender.values)),
    ("account_id", AttributeType.TEXT, []),
    ("tags", AttributeType.TEXT, []),
    ("remarks", AttributeType.TEXT, []),
]
FIELD_KEYS = {"first_name", "last_name", "company", "job_title", "gender", "account_id", "remarks"}
IDENTITY_KEYS = {"email": (IdentityKind.EMAIL,), "phone": tuple(PHONE_KINDS)}


def ensure_builtin_definitions() -> None:
    """Create the built-in definitions that are missing (migrations and tests call it)."""
    existing = set(
        AttributeDefinition.objects.filter(is_builtin=True).values_list("key", flat=True)
    )
    for position, (key, kind, choices) in enumerate(BUILTINS):
        if key not in existing:
            AttributeDefinition.objects.create(
                key=key,
                label=str(BUILTIN_LABELS[key]),
                type=kind,
                choices=choices,
                position=position,
                is_builtin=True,
            )


def clean_value(definition: AttributeDefinition, raw: Any) -> Any:
    """Validate `raw` for the definition's type; return the value to store ("" clears it)."""
    if isinstance(raw, str):
        raw = raw.strip()
    if raw in ("", None):
        return "" if definition.type != AttributeType.BOOLEAN else None
    kind = definition.type
    if kind == AttributeType.TEXT:
        if len(str(raw)) > MAX_TEXT and definition.key != "remarks":
            raise ValidationError(_("Use at most %(max)s characters.") % {"max": MAX_TEXT})
        return str(raw)
    if kind == AttributeType.NUMBER:
        try:
            number = Decimal(str(raw).replace(",", "."))
        except InvalidOperation as exc:
            raise ValidationError(_("Enter a number.")) from exc
        if not number.is_finite():
            raise ValidationError(_("Enter a number."))
        return str(number.normalize()) if number == number.to_integral() else str(number)
    if kind == AttributeType.DATE:
        try:
            return datetime.date.fromisoformat(str(raw)).isoformat()
        except ValueError as exc:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from exc
    if kind == AttributeType.EMAIL:
        return normalise_email(str(raw))
    if kind == AttributeType.PHONE:
        return normalise_phone(str(raw))
    if kind == AttributeType.URL:
        try:
            URLValidator(schemes=["http", "https"])(str(raw))
        except ValidationError as exc:
            raise ValidationError(_("Enter a full web address starting with https://.")) from exc
        return str(raw)
    if kind == AttributeType.CHOICE:
        if str(raw) not in definition.choices:
            raise ValidationError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(definition.choices)}
            )
        return str(raw)
    if kind == AttributeType.BOOLEAN:
        if str(raw).lower() in {"true", "yes", "1", "on"}:
            return True
        if str(raw).lower() in {"false", "no", "0", "off"}:
            return False
        raise ValidationError(_("Choose yes or no."))
    raise ValidationError(_("Unknown attribute type."))


@dataclass(frozen=True)
class ShownAttribute:
    """One row of the Profile tab: a definition and what the contact has for it."""

    definition: AttributeDefinition
    value: Any = None
    identities: tuple[Identity, ...] = ()
    # Who last wrote it ({by, writer, at}: contacts.provenance), for the "from CRM" mark.
    provenance: dict[str, Any] | None = None

    @property
    def has_value(self) -> bool:
        return bool(self.identities) or self.value not in ("", None, [], {})

    @property
    def from_crm(self) -> bool:
        return self.definition.is_crm_owned

    @property
    def synced_at(self) -> datetime.datetime | None:
        """When the CRM last wrote the value (None when it never did)."""
        at = (self.provenance or {}).get("at")
        try:
            return datetime.datetime.fromisoformat(at) if at else None
        except (TypeError, ValueError):
            return None


def value_of(contact: Contact, definition: AttributeDefinition, tags: list[str]) -> ShownAttribute:
    """The contact's value for one definition. `identities` and `tags` must be prefetched."""
    key = definition.key
    if definition.is_builtin and key in IDENTITY_KEYS:
        kinds = IDENTITY_KEYS[key]
        found = tuple(i for i in contact.identities.all() if i.kind in kinds)
        return ShownAttribute(definition, identities=found)
    if definition.is_builtin and key == "tags":
        return ShownAttribute(definition, value=tags)
    if definition.is_builtin and key == "gender":
        return ShownAttribute(
            definition, value=contact.get_gender_display() if contact.gender else ""
        )
    if definition.is_builtin and key in FIELD_KEYS:
        return ShownAttribute(definition, value=getattr(contact, key))
    return ShownAttribute(definition, value=contact.attributes.get(key))


def profile(contact: Contact, definitions: list[AttributeDefinition]) -> list[ShownAttribute]:
    tags = [tag.name for tag in contact.tags.all()]
    provenance = contact.provenance or {}
    shown = [value_of(contact, d, tags) for d in definitions]
    return [
        dataclasses.replace(row, provenance=provenance.get(row.definition.key)) for row in shown
    ]


def raw_value(contact: Contact, definition: AttributeDefinition) -> Any:
    """The stored value as a form shows it for editing."""
    if definition.key == "tags":
        return ", ".join(tag.name for tag in contact.tags.all())
    if definition.is_builtin and definition.key in FIELD_KEYS:
        return getattr(contact, definition.key)
    return contact.attributes.get(definition.key, "")


def is_profile_editable(definition: AttributeDefinition) -> bool:
    """Identifiers are edited in the Identities tab, integration-filled ones (read-only or
    owned by the CRM) nowhere."""
    return (
        not definition.read_only
        and not (definition.is_crm_owned and definition.key != "tags")
        and definition.key not in IDENTITY_KEYS
    )
