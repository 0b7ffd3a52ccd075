"""The objection notice of marketing SMS and WhatsApp messages (UWG §7 (3): advertising to an
existing customer needs, in every message, a clear note that they may object; everyone else
benefits from it too). A marketing message whose text names none of the inbox's opt-out
keywords gets one line, in the recipient's language, with the keyword to answer:
"Abmelden: Antwort STOP". E-mails carry their unsubscribe link instead; service messages need
none. Survey campaigns count as marketing here (campaigns.models.ADVERTISING_TYPES). Added
where the message is rendered — the preview and the freeze — so the segment count the
manager sees is the one sent."""

from typing import Any

from campaigns.keywords import KeywordTable, keyword_table, normalise
from campaigns.models import KeywordAction, is_advertising
from inbox.language import guess_language

NOTICES = {
    "de": "Abmelden: Antwort {keyword}",
    "en": "Reply {keyword} to opt out",
    "sv": "Svara {keyword} för att avsluta",
}


def needs_notice(campaign: Any) -> bool:
    # Marketing and survey campaigns (campaigns.models.ADVERTISING_TYPES say why).
    return is_advertising(campaign.type) and campaign.channel in ("sms", "whatsapp")


def _opt_out_words(table: KeywordTable) -> dict[str, dict[str, str]]:
    """{normalised word: {language: the keyword as written}} of the opt-out lists."""
    words: dict[str, dict[str, str]] = {}
    for word, entries in table.words.items():
        for action, language, keyword in entries:
            if action == KeywordAction.OPT_OUT:
                words.setdefault(word, {})[language] = keyword
    return words


def with_notice(
    body: str, *, campaign: Any, contact: Any, table: KeywordTable | None = None
) -> str:
    """`body`, with the objection notice when the campaign needs one and the text names no
    opt-out keyword. Nothing when the inbox does not act on opt-out keywords (the notice
    would promise what nobody does)."""
    if not needs_notice(campaign):
        return body
    table = table or keyword_table(campaign.inbox)
    words = _opt_out_words(table)
    if not table.enabled or not words:
        return body
    if set(normalise(body).split()) & set(words):
        return body
    language = _language(contact, body)
    keyword = next(
        (by_language[language] for by_language in words.values() if language in by_language),
        next(iter(next(iter(words.values())).values())),
    )
    return f"{body}\n{NOTICES[language].format(keyword=keyword)}"


def _language(contact: Any, body: str) -> str:
    given = (getattr(contact, "attributes", None) or {}).get("language")
    if isinstance(given, str) and given[:2].lower() in NOTICES:
        return given[:2].lower()
    return guess_language(body) or "de"
