"""Which column goes where: the targets a column can map to, suggestions from the header
names (English, German, Swedish), and a row turned into an `UpsertItem`."""

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from contacts.models import AttributeDefinition
from contacts.upsert import ConsentInput, UpsertItem

IGNORE = "ignore"
ATTRIBUTE_PREFIX = "attr:"
# Targets of their own (an UpsertItem field); every other attribute is "attr:<key>".
FIELDS = ("first_name", "last_name", "company", "email", "phone", "external_id", "tags")
IDENTIFIERS = ("email", "phone", "external_id")
# Built-in attributes that are not "attr:<key>" targets: they are FIELDS above.
NOT_ATTRIBUTES = {"first_name", "last_name", "company", "email", "phone", "tags"}
TAG_SEPARATORS = re.compile(r"[,;|]")
_ADDRESS = {"email": "email", "sms": "phone", "whatsapp": "phone"}

# Header names people use for each field, normalised (see `normalise_header`).
SYNONYMS: dict[str, set[str]] = {
    "first_name": {
        "firstname", "first", "givenname", "forename", "vorname", "rufname",
        "förnamn", "fornamn", "tilltalsnamn",
    },
    "last_name": {
        "lastname", "last", "surname", "familyname", "nachname", "familienname",
        "efternamn",
    },
    "company": {
        "company", "companyname", "organisation", "organization", "employer", "firma",
        "firmenname", "unternehmen", "företag", "foretag", "företagsnamn", "bolag",
    },
    "email": {
        "email", "emailaddress", "mail", "mailaddress", "emailadresse", "mailadresse",
        "epost", "epostadress", "mejl", "mejladress",
    },
    "phone": {
        "phone", "phonenumber", "telephone", "tel", "mobile", "mobilephone", "mobilenumber",
        "cell", "cellphone", "telefon", "telefonnummer", "mobil", "mobilnummer", "handy",
        "handynummer", "mobiltelefon", "telefonnr", "mobilnr",
    },
    "external_id": {
        "externalid", "customerid", "customernumber", "crmid", "kundennummer", "kundenid",
        "kundennr", "kundnummer", "kundid", "kundnr",
    },
    "tags": {"tags", "tag", "labels", "schlagwörter", "schlagworte", "taggar", "etiketter"},
}  # fmt: skip


@dataclass(frozen=True)
class Target:
    value: str
    label: str


def normalise_header(name: str) -> str:
    """ "E-Mail " → "email", "Förnamn" → "förnamn": lower-case letters and digits only."""
    name = unicodedata.normalize("NFC", name).casefold()
    return "".join(ch for ch in name if ch.isalnum())


def attribute_targets(definitions: list[AttributeDefinition]) -> list[AttributeDefinition]:
    return [d for d in definitions if not (d.is_builtin and d.key in NOT_ATTRIBUTES)]


def targets(definitions: list[AttributeDefinition]) -> list[Target]:
    """Every choice of a column's select, in the order the screen shows them."""
    fixed = [
        Target("first_name", _("First name")),
        Target("last_name", _("Last name")),
        Target("company", _("Company")),
        Target("email", _("E-mail")),
        Target("phone", _("Phone")),
        Target("external_id", _("External ID")),
        Target("tags", _("Tags")),
    ]
    attributes = [
        Target(ATTRIBUTE_PREFIX + d.key, _("Attribute: %(label)s") % {"label": d.display_label})
        for d in attribute_targets(definitions)
    ]
    return [Target(IGNORE, _("Ignore this column")), *fixed, *attributes]


def _attribute_names(definition: AttributeDefinition) -> set[str]:
    names = {normalise_header(definition.key), normalise_header(definition.label)}
    if definition.is_builtin:
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.add(normalise_header(definition.display_label))
    return names - {""}


def suggest(header: list[str], definitions: list[AttributeDefinition]) -> list[str]:
    """A target for each column from its name; each target at most once (the first column
    that fits wins), "ignore" where nothing fits."""
    lookup: dict[str, str] = {}
    for definition in attribute_targets(definitions):
        for name in _attribute_names(definition):
            lookup.setdefault(name, ATTRIBUTE_PREFIX + definition.key)
    for target, names in SYNONYMS.items():
        for name in names:
            lookup[name] = target  # the fields' own names come before attributes'
    taken: set[str] = set()
    suggested = []
    for column in header:
        target = lookup.get(normalise_header(column), IGNORE)
        if target in taken:
            target = IGNORE
        if target != IGNORE:
            taken.add(target)
        suggested.append(target)
    return suggested


def split_tags(value: str) -> list[str]:
    return [tag.strip()[:50] for tag in TAG_SEPARATORS.split(value) if tag.strip()]


def item_for(
    row_number: int, cells: list[str], contact_import: Any, consent: ConsentInput | None
) -> UpsertItem:
    """The UpsertItem for one data row under the import's mapping. Empty cells change
    nothing (None or ""), so an import never clears what a contact already has. The
    import's consent goes to rows that have the channel's address (an e-mail address for
    e-mail, a number for SMS and WhatsApp); a row without one is imported without it."""
    values: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    tags = list(contact_import.tags)
    for index, target in enumerate(contact_import.mapping):
        cell = cells[index].strip() if index < len(cells) else ""
        if not cell or target == IGNORE:
            continue
        if target == "tags":
            tags += split_tags(cell)
        elif target.startswith(ATTRIBUTE_PREFIX):
            attributes.setdefault(target[len(ATTRIBUTE_PREFIX) :], cell)
        else:
            values.setdefault(target, cell)  # two phone columns: the first that has one
    return UpsertItem(
        external_id=values.get("external_id", ""),
        source_system=contact_import.source_system if "external_id" in values else "",
        email=values.get("email", ""),
        phone=values.get("phone", ""),
        first_name=values.get("first_name"),
        last_name=values.get("last_name"),
        company=values.get("company"),
        attributes=attributes,
        tags=list(dict.fromkeys(tags)),
        consent=consent if consent and values.get(_ADDRESS[consent.channel]) else None,
        ref=str(row_number),
    )
