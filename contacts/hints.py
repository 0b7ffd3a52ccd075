"""Deletion hints: enough for an admin to recognise a log entry, too little to re-identify."""

from collections.abc import Iterable

from contacts.identities import PHONE_KINDS, IdentityKind
from contacts.models import Contact, Identity


def mask_word(word: str) -> str:
    return f"{word[:1].upper()}***" if word else ""


def mask_phone(e164: str) -> str:
    """+4917012345612 → "+49 *** **12" (country code and the last two digits only)."""
    import phonenumbers

    try:
        country = phonenumbers.parse(e164, None).country_code
    except phonenumbers.NumberParseException:
        return "***"
    return f"+{country} *** **{e164[-2:]}"


def mask_email(address: str) -> str:
    """jane.doe@example.de → "j***@***.de"."""
    local, _, domain = address.partition("@")
    tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
    return f"{local[:1]}***@***.{tld}" if tld else f"{local[:1]}***@***"


def deletion_hint(contact: Contact, identities: Iterable[Identity]) -> str:
    parts = [" ".join(filter(None, [mask_word(contact.first_name), mask_word(contact.last_name)]))]
    for identity in identities:
        if identity.kind in PHONE_KINDS:
            parts.append(mask_phone(identity.normalised))
        elif identity.kind == IdentityKind.EMAIL:
            parts.append(mask_email(identity.normalised))
        if len(parts) >= 3:
            break
    return ", ".join(part for part in parts if part) or "***"
