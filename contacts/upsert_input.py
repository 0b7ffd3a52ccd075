"""The upsert's input and output (contacts.upsert): the items a caller sends, the result of
each, and their validation — normalised identifiers and values cleaned by their attribute
definitions, without a query. contacts.upsert re-exports the public names."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from contacts.attributes import FIELD_KEYS, clean_value
from contacts.consent import (
    PURPOSE_OF_CHANNEL,
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
from contacts.models import AttributeDefinition, Contact

MAX_TAG_LENGTH = 50
MAX_SOURCE_SYSTEM_LENGTH = 50
# Contact fields an item sets directly; the rest of FIELD_KEYS may come in `attributes`.
ITEM_FIELDS = ("first_name", "last_name", "company")
CONSENT_CHANNELS = ("email", "sms", "whatsapp")

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


def external_key(external_id: str, source_system: str = "") -> str:
    """The normalised value of an external id: `<system>:<id>` (the system lower-cased), or
    the id alone without a system (as an agent types it in the Identities tab)."""
    external_id = external_id.strip()
    system = source_system.strip().lower()
    return f"{system}:{external_id}" if system else external_id


@dataclass
class Prepared:
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


def prepare(index: int, item: UpsertItem, definitions: dict[str, AttributeDefinition]) -> Prepared:
    p = Prepared(index=index, item=item)
    if _null_characters(p):
        return p
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


def _null_characters(p: Prepared) -> bool:
    """PostgreSQL stores no NUL character: a field with one is an error, not a failed batch."""
    item = p.item
    texts = {
        name: getattr(item, name)
        for name in ("external_id", "source_system", "email", "phone", *ITEM_FIELDS)
    }
    if isinstance(item.attributes, dict):
        texts.update({f"attributes.{k}": f"{k}{v}" for k, v in item.attributes.items()})
    if isinstance(item.tags, list):
        texts.update({"tags": "".join(str(tag) for tag in item.tags)})
    if item.consent is not None:
        texts.update({"consent.evidence": item.consent.evidence})
    for name, value in texts.items():
        if isinstance(value, str) and "\x00" in value:
            p.error(name, _("Remove the null character from this value."))
    return bool(p.errors)


def _prepare_identifiers(p: Prepared) -> None:
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
    p: Prepared,
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


def _prepare_tags(p: Prepared) -> None:
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


def _prepare_consent(p: Prepared, consent: ConsentInput) -> None:
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
