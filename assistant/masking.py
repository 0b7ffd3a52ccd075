"""Personal data out of a text before it goes to the model (when the inbox's campaign
settings say so, the default): IBANs, e-mail addresses and phone numbers become numbered
placeholders such as [PHONE_1]. `unmask` puts them back into a rewritten text, so an agent
who asked for a shorter reply does not lose the number they had typed."""

import re
from collections.abc import Callable
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


def mask(text: str) -> Masked:
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
    return Masked(text, found)


def unmask(text: str, placeholders: dict[str, str]) -> str:
    for placeholder, value in placeholders.items():
        text = text.replace(placeholder, value)
    return text
