"""Opt-out, re-subscribe and help keywords: the defaults per language, and matching.

A message is a keyword only when it is nothing else: the whole text after trimming,
case-folding and stripping punctuation ("Stop!", " ende "). "Stop the delivery to my old
address" is not an opt-out; such free text is shown to the agent with a one-click "Mark as
opted out" (`sounds_like_opt_out`).
"""

import re
import unicodedata
from typing import Any

DEFAULT_KEYWORDS: dict[str, dict[str, list[str]]] = {
    "opt_out": {
        "de": ["STOP", "ENDE", "ABBRUCH", "BEENDEN"],
        "en": ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"],
        "sv": ["STOPP", "AVSLUTA", "STOP"],
    },
    "opt_in": {
        "de": ["START", "ANMELDEN"],
        "en": ["START", "UNSTOP"],
        "sv": ["START"],
    },
    "help": {
        "de": ["HILFE", "INFO"],
        "en": ["HELP", "INFO"],
        "sv": ["HJÄLP", "INFO"],
    },
}


def normalise(text: str) -> str:
    """Trimmed, case-folded, without punctuation, symbols or inner runs of space."""
    text = unicodedata.normalize("NFKC", text or "")
    kept = "".join(
        ch if not unicodedata.category(ch).startswith(("P", "S")) else " " for ch in text
    )
    return " ".join(kept.casefold().split())


def install_default_keywords(inbox: Any) -> None:
    from campaigns.models import OptOutKeyword

    OptOutKeyword.objects.bulk_create(
        [
            OptOutKeyword(inbox=inbox, language=language, keyword=word, action=action)
            for action, languages in DEFAULT_KEYWORDS.items()
            for language, words in languages.items()
            for word in words
        ],
        ignore_conflicts=True,
    )


FREE_TEXT_OPT_OUT = re.compile(
    r"\b(stop|stopp|unsubscribe|abmelden|abbestellen|keine\s+(sms|nachrichten|werbung|e-?mails?)"
    r"\s*mehr|no\s+more\s+(texts|messages|sms|emails?)|avsluta|avregistrera|inga\s+fler)\b",
    re.IGNORECASE,
)


def sounds_like_opt_out(text: str) -> bool:
    """Free text that may ask to stop ("bitte keine SMS mehr") but is not a keyword."""
    return bool(FREE_TEXT_OPT_OUT.search(text or ""))
