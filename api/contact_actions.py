"""Contact writes of the API: the contacts app's actions, composed the way a CRM sends them
(one body with fields, tags, custom attributes and identifiers), each in one transaction."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from contacts import actions
from contacts.attributes import FIELD_KEYS
from contacts.models import AttributeDefinition, Contact, ContactKind, IdentitySource
from contacts.provenance import Writer, ownership_error, stamp, writer_label

BUILTIN_KEYS = FIELD_KEYS | {"tags", "email", "phone"}


def profile_values(fields: dict[str, Any]) -> dict[str, Any]:
    """A request's fields as contacts.actions.update_profile values, by attribute key."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key in FIELD_KEYS & fields.keys():
        values[key] = fields[key] if fields[key] is not None else ""
    if "tags" in fields:
        tags = [str(tag).strip() for tag in fields["tags"] or []]
        if any("," in tag or len(tag) > 50 for tag in tags):
            errors["tags"] = [_("A tag has at most 50 characters and no comma.")]
        values["tags"] = ",".join(tag for tag in tags if tag)
    for key, value in (fields.get("attributes") or {}).items():
        if key in BUILTIN_KEYS:
            errors[f"attributes.{key}"] = [
                _("%(key)s is a built-in attribute: send it as a field of its own.") % {"key": key}
            ]
            continue
        if isinstance(value, dict | list):
            errors[f"attributes.{key}"] = [_("Send a text, number or true/false.")]
            continue
        values[key] = "" if value is None else value
    if errors:
        raise ValidationError(errors)
    return values


def _update(
    contact: Contact, values: dict[str, Any], actor: User, writer: str, source: str
) -> None:
    if not values:
        return
    try:
        actions.update_profile(contact, values=values, actor=actor, writer=writer, source=source)
    except ValidationError as invalid:
        raise ValidationError(
            {
                (key if key in BUILTIN_KEYS or key == "__all__" else f"attributes.{key}"): messages
                for key, messages in invalid.message_dict.items()
            }
        ) from None


@transaction.atomic
def create_contact(
    *,
    fields: dict[str, Any],
    identities: list[dict[str, str]],
    actor: User,
    writer: str = Writer.AGENT,
    source: str = "",
) -> Contact:
    """A curated contact with its identifiers (source CRM) and attributes, or nothing: a
    malformed or taken address (ValidationError, IdentityTaken) or an invalid value rolls
    the whole creation back."""
    values = profile_values(fields)
    definitions = {d.key: d for d in AttributeDefinition.objects.all_cached()}
    refused = {
        key: [refusal]
        for key in ("first_name", "last_name", "company")
        if values.get(key) and key in definitions
        for refusal in [
            ownership_error(definitions[key], writer=writer, current="", new=values[key])
        ]
        if refusal
    }
    if refused:
        raise ValidationError(refused)
    try:
        contact = actions.create_contact(
            actor=actor,
            kind=ContactKind.CURATED,
            first_name=values.pop("first_name", ""),
            last_name=values.pop("last_name", ""),
            company=values.pop("company", ""),
            identities=[(identity["kind"], identity["value"]) for identity in identities],
            source=IdentitySource.CRM,
        )
    except ValidationError as invalid:
        raise ValidationError({"identities": invalid.messages}) from None
    by = writer_label(actor, source)
    written = [key for key in ("first_name", "last_name", "company") if getattr(contact, key)]
    if written:
        stamp(contact, written, by=by, writer=writer)
        contact.save(update_fields=["provenance"])
    _update(contact, values, actor, writer, source)
    return contact


@transaction.atomic
def update_contact(
    contact: Contact,
    *,
    fields: dict[str, Any],
    actor: User,
    writer: str = Writer.AGENT,
    source: str = "",
) -> None:
    """Change the fields sent (PATCH); what was not sent stays as it is. `writer` is "crm"
    for a token with attributes:write_crm (contacts.provenance decides what it may write)."""
    _update(contact, profile_values(fields), actor, writer, source)


@transaction.atomic
def add_identity(contact: Contact, *, kind: str, value: str, actor: User) -> Any:
    try:
        return actions.add_identity(contact, kind=kind, value=value, actor=actor)
    except ValidationError as invalid:
        raise ValidationError({"value": invalid.messages}) from None
