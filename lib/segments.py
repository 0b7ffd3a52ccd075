"""How many SMS a text costs (DESIGN.md §10: our own counter, no library).

An SMS is sent in GSM-7 (the GSM 03.38 alphabet, 7-bit septets) when every character of it
is in that alphabet, else the whole message goes as UCS-2 (UTF-16 code units). One SMS holds
160 septets or 70 code units; a longer message is split into parts that carry a header for
reassembly, leaving 153 septets or 67 code units each.

Umlauts, ß, å and é are in GSM-7; an en dash, curly quotes or an ellipsis — which word
processors and phones type for you — are not, and flip the whole message to UCS-2, more than
doubling its price. `replace_typographic` swaps them for their plain equivalents.

Packing follows what phones and providers do: a character taking two septets (an escape and
the character, e.g. "€") or two code units (an emoji's surrogate pair) is never split between
two parts; it starts the next part instead. static/js/segments.js is the same counter for
the browser, and a browser test checks that the two agree.
"""

from dataclasses import dataclass, field

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Sent as the escape septet followed by the character: two septets each.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"
LIMITS = {GSM_7: (160, 153), UCS_2: (70, 67)}  # (single message, each part of a long one)

# What `replace_typographic` puts in place of a character that is not in GSM-7 but has a plain
# equivalent that is (the same table is in static/js/segments.js).
TYPOGRAPHIC = {
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u201e": '"',  # double low-9 quotation mark
    "\u201f": '"',  # double high-reversed-9 quotation mark
    "\u00ab": '"',  # left-pointing double angle quotation mark
    "\u00bb": '"',  # right-pointing double angle quotation mark
    "\u2033": '"',  # double prime
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark (also the typographic apostrophe)
    "\u201a": "'",  # single low-9 quotation mark
    "\u201b": "'",  # single high-reversed-9 quotation mark
    "\u2039": "'",  # single left-pointing angle quotation mark
    "\u203a": "'",  # single right-pointing angle quotation mark
    "\u2032": "'",  # prime
    "\u00b4": "'",  # acute accent
    "`": "'",  # grave accent
    "\u2026": "...",  # horizontal ellipsis
    "\u00a0": " ",  # no-break space
    "\u2002": " ",  # en space
    "\u2003": " ",  # em space
    "\u2007": " ",  # figure space
    "\u2009": " ",  # thin space
    "\u200a": " ",  # hair space
    "\u202f": " ",  # narrow no-break space
    "\t": " ",  # tab
    "\u200b": "",  # zero-width space
    "\u00ad": "",  # soft hyphen
    "\ufeff": "",  # zero-width no-break space (byte order mark)
}
_TABLE = str.maketrans(TYPOGRAPHIC)


@dataclass(frozen=True)
class Segments:
    """What a text costs: `units` are septets (GSM-7) or UTF-16 code units (UCS-2),
    `per_segment` what one SMS of this message holds, `remaining` what still fits in its last
    one, `non_gsm` the characters that made it UCS-2 (each once, in order of appearance)."""

    encoding: str
    units: int
    segments: int
    per_segment: int
    remaining: int
    non_gsm: list[str] = field(default_factory=list)

    @property
    def is_gsm(self) -> bool:
        return self.encoding == GSM_7


def _width(char: str, encoding: str) -> int:
    if encoding == GSM_7:
        return 2 if char in GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def count(text: str) -> Segments:
    """The encoding, length and number of SMS of `text` (0 SMS when it is empty)."""
    non_gsm = list(dict.fromkeys(c for c in text if c not in GSM_BASIC and c not in GSM_EXTENSION))
    encoding = UCS_2 if non_gsm else GSM_7
    single, part = LIMITS[encoding]
    widths = [_width(char, encoding) for char in text]
    units = sum(widths)
    if units <= single:
        segments = 1 if units else 0
        return Segments(encoding, units, segments, single, single - units, non_gsm)
    segments, used = 1, 0
    for width in widths:
        if used + width > part:  # a two-unit character is not split between parts
            segments, used = segments + 1, 0
        used += width
    return Segments(encoding, units, segments, part, part - used, non_gsm)


def replace_typographic(text: str) -> str:
    """`text` with the characters of TYPOGRAPHIC replaced by plain GSM-7 ones: dashes by "-",
    curly and low quotes by " and ', the ellipsis by "...", special spaces by a space, and
    invisible characters (soft hyphen, zero-width space) removed."""
    return text.translate(_TABLE)
