"""Recipients as a development log may show them: enough to tell two apart, too little to find
the person. Logs stay after a contact is erased, so nothing that names a customer — a phone
number, an e-mail address, a message's text — goes into them whole."""

import re

import phonenumbers

BULLETS = "•••"
_ADDRESS = re.compile(r"^(?P<local>[^@\s]+)@(?P<domain>[^@\s]+)$")


def mask_phone(value: str) -> str:
    """`+4917012345689` → `+49 ••• 89`; `whatsapp:+46…` keeps its prefix."""
    prefix, _colon, number = value.rpartition(":")
    prefix = f"{prefix}:" if prefix else ""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 5:
        return f"{prefix}{BULLETS}"
    try:
        country = phonenumbers.parse(
            number if number.startswith("+") else f"+{digits}"
        ).country_code
    except phonenumbers.NumberParseException:
        country = None
    start = f"+{country}" if country else number[:2]
    return f"{prefix}{start} {BULLETS} {digits[-2:]}"


def mask_email(value: str) -> str:
    """`anna.berg@example.com` → `a•••@•••.com`: a personal domain names a person too."""
    match = _ADDRESS.match(value.strip())
    if match is None:
        return BULLETS
    tld = match["domain"].rpartition(".")[2]
    return f"{match['local'][0]}{BULLETS}@{BULLETS}.{tld}"


def mask_recipient(value: str) -> str:
    """An e-mail address or a phone number, whichever it is."""
    return mask_email(value) if "@" in value else mask_phone(value)
