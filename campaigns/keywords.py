"""Opt-out, re-subscribe and help keywords: the defaults per language, and matching.

A message is a keyword only when it is nothing else: the whole text after trimming,
case-folding and stripping punctuation ("Stop!", " ende "). "Stop the delivery to my old
address" is not an opt-out; such free text is shown to the agent with a one-click "Mark as
opted out" (`sounds_like_opt_out`).
"""

import unicodedata
from dataclasses import dataclass
from typing import Any

from campaigns.models import CampaignSettings, KeywordAction, OptOutKeyword
from inbox.optout_hint import sounds_like_opt_out
from lib.cached import cached, forget_on_commit

__all__ = [
    "DEFAULT_CONFIRMATIONS",
    "DEFAULT_HELP",
    "DEFAULT_KEYWORDS",
    "match_keyword",
    "normalise",
    "sounds_like_opt_out",
]

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

# What the inbox answers, per language, when its manager wrote nothing of their own
# (Settings → Inboxes → an inbox → Campaigns). Kept per language rather than translated with
# gettext: they are chosen by the contact's language, never by the reader's.
DEFAULT_CONFIRMATIONS: dict[str, str] = {
    "en": (
        "{{ account.company_name }}: You will receive no more messages from us. "
        "Reply START to subscribe again."
    ),
    "de": (
        "{{ account.company_name }}: Sie erhalten keine weiteren Nachrichten. "
        "Antworten Sie START, um sich wieder anzumelden."
    ),
    "sv": (
        "{{ account.company_name }}: Du får inga fler meddelanden från oss. "
        "Svara START för att prenumerera igen."
    ),
}
DEFAULT_HELP: dict[str, str] = {
    "en": (
        "{{ account.company_name }}: Reply STOP to receive no more messages, "
        "or START to subscribe again."
    ),
    "de": (
        "{{ account.company_name }}: Antworten Sie STOP, um keine Nachrichten mehr zu "
        "erhalten, oder START, um sich wieder anzumelden."
    ),
    "sv": (
        "{{ account.company_name }}: Svara STOPP för att inte få fler meddelanden, "
        "eller START för att prenumerera igen."
    ),
}


def normalise(text: str) -> str:
    """Trimmed, case-folded, without punctuation, symbols or inner runs of space."""
    text = unicodedata.normalize("NFKC", text or "")
    kept = "".join(
        ch if not unicodedata.category(ch).startswith(("P", "S")) else " " for ch in text
    )
    return " ".join(kept.casefold().split())


def install_default_keywords(inbox: Any) -> None:
    OptOutKeyword.objects.bulk_create(
        [
            OptOutKeyword(inbox=inbox, language=language, keyword=word, action=action)
            for action, languages in DEFAULT_KEYWORDS.items()
            for language, words in languages.items()
            for word in words
        ],
        ignore_conflicts=True,
    )


def stored_form(text: str) -> str:
    """A keyword as the lists keep and show it: normalised, in capitals ("stop!" → "STOP")."""
    return normalise(text).upper()


# The longest keyword a list may hold (OptOutKeyword.keyword); a longer text is never one.
MAX_KEYWORD_LENGTH = 50
# When two lists of an inbox share a word, the stronger meaning wins: an opt-out is never
# lost to "help" (the settings refuse such a pair; the data may still hold one).
PRIORITY: list[str] = [KeywordAction.OPT_OUT, KeywordAction.OPT_IN, KeywordAction.HELP]


@dataclass(frozen=True)
class KeywordMatch:
    keyword: str
    action: str
    # The languages whose list holds the keyword ("STOP" is German, English and Swedish).
    languages: tuple[str, ...]


@dataclass(frozen=True)
class KeywordTable:
    """An inbox's keyword lists as inbound matching reads them, kept in the cache (every
    short inbound message asks; managers change them now and then)."""

    enabled: bool
    words: dict[str, tuple[tuple[str, str, str], ...]]  # normalised → (action, language, kw)


def _key(inbox_id: int) -> str:
    return f"campaign-keywords:{inbox_id}"


def keyword_table(inbox: Any) -> KeywordTable:
    return cached(_key(inbox.pk), lambda: _load(inbox))


def _load(inbox: Any) -> KeywordTable:
    settings = CampaignSettings.objects.for_inbox(inbox)
    words: dict[str, list[tuple[str, str, str]]] = {}
    for row in OptOutKeyword.objects.filter(inbox=inbox).order_by("language", "id"):
        words.setdefault(normalise(row.keyword), []).append((row.action, row.language, row.keyword))
    return KeywordTable(
        enabled=settings.opt_out_enabled,
        words={word: tuple(found) for word, found in words.items() if word},
    )


def forget_keywords(inbox_id: int) -> None:
    """The inbox's settings or keyword lists changed in this transaction."""
    forget_on_commit(_key(inbox_id))


def match_keyword(inbox: Any, text: str) -> KeywordMatch | None:
    """The keyword the whole of `text` is, in the inbox's lists, while its opt-out handling
    is on; None for anything else ("Stop the delivery to my old address")."""
    words = normalise(text)
    if not words or len(words) > MAX_KEYWORD_LENGTH:
        return None
    table = keyword_table(inbox)
    found = table.words.get(words) if table.enabled else None
    if not found:
        return None
    action = min((entry[0] for entry in found), key=PRIORITY.index)
    mine = [entry for entry in found if entry[0] == action]
    return KeywordMatch(
        keyword=mine[0][2], action=action, languages=tuple(entry[1] for entry in mine)
    )
