"""Personal data out of a text before it goes to the model (when the inbox's campaign
settings say so, the default): IBANs, e-mail addresses and phone numbers become numbered
placeholders such as [PHONE_1], and so does the contact's own name where the caller knows it
([NAME_1]: the conversation's contact, whose first and last name the agent's reply and the
customer's messages often carry). `unmask` puts them back into a rewritten text or a summary,
so an agent who asked for a shorter reply does not lose the number they had typed."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# Country code, two check digits, then 11 to 30 letters and digits, in groups of four or not.
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A number that starts with +, 00 or 0 and has at least 6 more digits, spaces, dashes,
# slashes or brackets between them (not dots: "12.05.2025" is a date).
PHONE = re.compile(r"(?<![\w+])(?:\+|0)\d[\d \-/()]{5,}\d")


@dataclass
class Masked:
    text: str
    placeholders: dict[str, str] = field(default_factory=dict)


def name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """Whole words of the given names (two letters or more), longest first, any case."""
    words = sorted(
        {w for name in names for w in (name or "").split() if len(w) >= 2}, key=len, reverse=True
    )
    if not words:
        return None
    return re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE
    )


def mask(text: str, *, names: Iterable[str] = ()) -> Masked:
    found: dict[str, str] = {}
    counters: dict[str, int] = {}

    def replacer(kind: str) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            value = match.group(0)
            if kind == "PHONE" and sum(c.isdigit() for c in value) < 7:
                return value
            for placeholder, known in found.items():
                if known == value:
                    return placeholder
            counters[kind] = counters.get(kind, 0) + 1
            placeholder = f"[{kind}_{counters[kind]}]"
            found[placeholder] = value
            return placeholder

        return replace

    for kind, pattern in (("IBAN", IBAN), ("EMAIL", EMAIL), ("PHONE", PHONE)):
        text = pattern.sub(replacer(kind), text)
    # Names last: "jana" inside jana@example.de has gone with its address already.
    named = name_pattern(names)
    if named is not None:
        text = named.sub(replacer("NAME"), text)
    return Masked(text, found)


PLACEHOLDER = re.compile(r"\[(?:IBAN|EMAIL|PHONE|NAME)_\d+\]")


def missing_placeholders(text: str, placeholders: dict[str, str]) -> list[str]:
    """The placeholders of the masked text that the model's answer dropped."""
    return [p for p in placeholders if p not in text]


def unknown_placeholders(text: str, placeholders: dict[str, str]) -> list[str]:
    """Placeholders in the model's answer that stand for nothing (it made them up)."""
    return [p for p in PLACEHOLDER.findall(text) if p not in placeholders]


def unmask(text: str, placeholders: dict[str, str]) -> str:
    for placeholder, value in placeholders.items():
        text = text.replace(placeholder, value)
    return text
