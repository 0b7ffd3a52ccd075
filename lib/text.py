"""Text from outside made storable (providers' webhooks) or harmless (spreadsheets)."""

from typing import Any, TypeVar

T = TypeVar("T")


def without_nul(value: T) -> T:
    """`value` without NUL characters: a string, or the strings in a dict, list or tuple.

    PostgreSQL stores no NUL in text or JSON columns, so a NUL in a provider's payload would
    fail the webhook with a 500 and the provider would send it again and again. No reader
    misses one, so every inbound edge drops them before storing anything.
    """
    cleaned: Any = value
    if isinstance(value, str):
        cleaned = value.replace("\x00", "")
    elif isinstance(value, dict):
        cleaned = {without_nul(key): without_nul(item) for key, item in value.items()}
    elif isinstance(value, (list, tuple)):
        cleaned = type(value)(without_nul(item) for item in value)
    return cleaned


def spreadsheet_safe(value: Any) -> str:
    """`value` as a CSV cell a spreadsheet will not run: one that starts like a formula is
    quoted (CSV injection), a phone number such as +49 170 1234567 stays as it is."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "@", "\t", "\r"):
        return "'" + text
    if text[:1] in ("+", "-") and not text[1:].replace(" ", "").isdigit():
        return "'" + text
    return text
