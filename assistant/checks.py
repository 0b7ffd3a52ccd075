"""What the assistant's texts must pass before anyone sees them as usable — checked here, in
code, never taken on the model's word: the Liquid parses and names only variables that exist
(inbox.variables.check_template); an SMS stays in the SMS alphabet and within its segments
with the company-name prefix and the opt-out line added; every link was among the facts the
manager gave; and the text is in the language asked for (inbox.language's stop-word guess,
which stays silent on a text too short to tell)."""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from inbox.language import guess_language
from inbox.variables import TemplateError, check_template
from lib import segments

LANGUAGE_NAMES = {
    "en": gettext_lazy("English"),
    "de": gettext_lazy("German"),
    "sv": gettext_lazy("Swedish"),
}
# What counts as a link, generously (a false alarm costs a regeneration, a miss a phishing
# SMS): anything with a scheme or "www."; a bare domain followed by a path or a port, whatever
# its ending ("is.gd/x", "evil.xyz/login", "1.2.3.4:8080"), since people and phones open
# those; and a bare domain alone when it ends in one of the endings people use, link
# shorteners' among them ("t.co", "goo.gl", "bit.ly").
_TLDS = (
    "de|com|se|org|net|eu|io|info|shop|store|online|site|app|biz|xyz|top|club|at|ch|co|me|"
    "ly|link|gl|gd|to|cc|tk|ml|ga|cf|gq|ws|su|ru|cn|in|us|uk|nl|fr|it|es|pl|dk|no|fi|be|"
    "li|lu|cz|ai|gg|tv|fm|am|im|is|sh|page|click|live|news|xn--[a-z0-9-]+"
)
_HOST = r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
LINK = re.compile(
    r"(?:https?://|hxxps?://|www\.)[^\s\"'<>]+"
    rf"|(?<![\w@.-]){_HOST}[a-z][a-z0-9-]+(?:/|:\d)[^\s\"'<>]*"
    rf"|(?<![\w@.-]){_HOST}(?:{_TLDS})\b(?![.-]\w)"
    r"|(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d+|/)[^\s\"'<>]*",
    re.IGNORECASE,
)
MAX_EMAIL_CHARACTERS = 5000


@dataclass(frozen=True)
class Limits:
    """Where a text goes: its channel, at most how many SMS, what the system adds around it
    (the company-name prefix and the opt-out line) and the links it may use."""

    channel: str
    language: str
    max_segments: int = 1
    prefix: str = ""
    footer: str = ""
    allowed_links: tuple[str, ...] = ()

    def segments_of(self, text: str) -> segments.Segments:
        return segments.count(self.prefix + text + self.footer)

    def character_budget(self) -> int:
        """GSM-7 characters the text itself may use: 160 for one SMS, 153 for each part of
        a longer one, less what the prefix and the footer take."""
        total = 160 if self.max_segments <= 1 else 153 * self.max_segments
        return total - segments.count(self.prefix + self.footer).units


def links_in(text: str) -> list[str]:
    return [match.group(0).rstrip(".,;:!?)") for match in LINK.finditer(text)]


def _normal_link(link: str) -> str:
    link = link.lower().rstrip("/")
    for start in ("https://", "http://"):
        link = link.removeprefix(start)
    return link.removeprefix("www.")


def invented_links(text: str, allowed: tuple[str, ...]) -> list[str]:
    known = {_normal_link(link) for given in allowed for link in [given, *links_in(given)]}
    return [link for link in links_in(text) if _normal_link(link) not in known]


def invented_addresses(text: str, allowed: tuple[str, ...]) -> list[str]:
    """E-mail addresses in `text` that are in none of the `allowed` texts (where a link
    would send a reader, an address would have them write)."""
    from assistant.masking import EMAIL

    known = {address.lower() for given in allowed for address in EMAIL.findall(given)}
    return [a for a in EMAIL.findall(text) if a.lower() not in known]


def problems(text: str, limits: Limits) -> list[str]:
    """Why `text` may not be used as it is (empty: it may)."""
    text = text or ""
    if not text.strip():
        return [_("The text is empty.")]
    found = []
    try:
        check_template(text)
    except TemplateError as error:
        found.append(error.message)
    if limits.channel == "sms":
        counted = limits.segments_of(text)
        if counted.non_gsm:
            found.append(
                _("Characters outside the SMS alphabet: %(chars)s.")
                % {"chars": " ".join(counted.non_gsm)}
            )
        if counted.segments > limits.max_segments:
            found.append(
                ngettext(
                    "Too long: %(n)s SMS with the company name and the opt-out line, "
                    "at most %(max)s allowed.",
                    "Too long: %(n)s SMS with the company name and the opt-out line, "
                    "at most %(max)s allowed.",
                    counted.segments,
                )
                % {"n": counted.segments, "max": limits.max_segments}
            )
    elif len(text) > MAX_EMAIL_CHARACTERS:
        found.append(_("Too long for a message."))
    invented = invented_links(text, limits.allowed_links)
    if invented:
        found.append(
            _("A link that was not among the facts: %(links)s.") % {"links": ", ".join(invented)}
        )
    addresses = invented_addresses(text, limits.allowed_links)
    if addresses:
        found.append(
            _("An e-mail address that was not among the facts: %(addresses)s.")
            % {"addresses": ", ".join(addresses)}
        )
    guessed = guess_language(text)
    if guessed and guessed != limits.language:
        found.append(
            _("Written in %(found)s, not %(wanted)s.")
            % {
                "found": LANGUAGE_NAMES.get(guessed, guessed),
                "wanted": LANGUAGE_NAMES.get(limits.language, limits.language),
            }
        )
    return found


def reply_problems(
    answer: str, *, original: str, placeholders: dict[str, str], operation: str, language: str
) -> list[str]:
    """Why a rewritten reply may not replace the agent's text (empty: it may). `answer` is
    the model's text before unmasking: a placeholder it dropped is a phone number, address,
    IBAN or name the agent would lose, one it made up stands for nothing. The Liquid must
    still parse and name only known variables; links only those of the agent's text; a
    translation is in the language asked for, anything else in the language it was in."""
    from assistant import masking

    found = []
    if masking.missing_placeholders(answer, placeholders):
        found.append(_("It left out a phone number, e-mail address, IBAN or name of your text."))
    if masking.unknown_placeholders(answer, placeholders):
        found.append(_("It contains a placeholder that stands for nothing, such as [PHONE_9]."))
    text = masking.unmask(answer, placeholders)
    if "{" in text:
        try:
            check_template(text)
        except TemplateError as error:
            found.append(error.message)
    invented = invented_links(text, (original,)) + invented_addresses(text, (original,))
    if invented:
        found.append(
            _("A link that was not in your text: %(links)s.") % {"links": ", ".join(invented)}
        )
    wanted = language if operation == "translate" else guess_language(original)
    guessed = guess_language(text)
    if wanted and guessed and guessed != wanted:
        found.append(
            _("Written in %(found)s, not %(wanted)s.")
            % {
                "found": LANGUAGE_NAMES.get(guessed, guessed),
                "wanted": LANGUAGE_NAMES.get(wanted, wanted),
            }
        )
    return found
