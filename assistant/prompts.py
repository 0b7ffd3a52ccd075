"""What the assistant asks the model, in English whatever the user's language (models follow
English instructions best; the text they write is in the language asked for). The rules are
repeated in code (assistant.checks): a prompt is a request, not a guarantee."""

import json
from typing import Any

from assistant.checks import Limits

LANGUAGES = {"en": "English", "de": "German", "sv": "Swedish"}
TONES = {
    "friendly": "friendly and warm",
    "factual": "factual and plain",
    "formal": 'formal; in German address the reader with "Sie"',
    "casual": 'casual; in German address the reader with "du"',
    "urgent": "urgent but honest, no false scarcity",
}
KINDS = {
    "offer": "an offer",
    "reminder": "a reminder",
    "announcement": "an announcement",
    "survey_invitation": "an invitation to answer a short survey",
    "service_notice": "a service notice (not advertising)",
}

DRAFT_SYSTEM = """You write short marketing and service messages for a company's customers.
Answer with JSON only, exactly this shape, with three different variants:
{"variants": [{"text": "..."}, {"text": "..."}, {"text": "..."}]}
Rules:
- Use only the facts given. Never invent prices, dates, discounts, links or promises.
- A link may appear only if it is one of the facts, written exactly as given.
- Variables are written in Liquid, e.g. {{ contact.first_name | default: "there" }};
  use only the variables listed.
- Do not write the company name at the start and do not write an opt-out or unsubscribe
  line: the system adds both.
"""
SMS_RULES = """- This is an SMS: plain GSM-7 characters only. No emoji, no typographic quotes
  or dashes (use " ' -), no ellipsis character.
- Each variant, as written (a variable counts with all its characters), must have at most
  {budget} characters.
"""


def draft_messages(
    brief: dict[str, Any], limits: Limits, variables: list[str]
) -> list[dict[str, str]]:
    system = DRAFT_SYSTEM
    if limits.channel == "sms":
        system += SMS_RULES.format(budget=limits.character_budget())
    facts = {k: v for k, v in (brief.get("facts") or {}).items() if v}
    request = {
        "topic": brief["topic"],
        "campaign type": KINDS.get(brief["kind"], brief["kind"]),
        "tone": TONES.get(brief["tone"], brief["tone"]),
        "channel": {"sms": "SMS", "whatsapp": "WhatsApp", "email": "e-mail"}.get(
            limits.channel, limits.channel
        ),
        "language": LANGUAGES.get(limits.language, limits.language),
        "facts you may use": facts or "none",
        "allowed variables": variables,
    }
    if limits.channel == "sms":
        request["maximum characters per variant"] = limits.character_budget()
        request["added by the system before the text"] = limits.prefix or "nothing"
        request["added by the system after the text"] = limits.footer.strip() or "nothing"
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": json.dumps(request, ensure_ascii=False, indent=1)},
    ]


def repair_message(failures: dict[int, list[str]]) -> dict[str, str]:
    lines = [
        f"Variant {index + 1} failed these checks: {'; '.join(reasons)}"
        for index, reasons in sorted(failures.items())
    ]
    return {
        "role": "user",
        "content": "\n".join(lines)
        + '\nAnswer again with JSON only, {"variants": [...]}, all three variants, the failing '
        "ones fixed and the others unchanged.",
    }


REPLY_SYSTEM = """You help a customer-service agent with the reply they are writing to a customer.
Answer with the new reply text only: no preface, no quotes around it, no explanation.
Keep every placeholder such as [PHONE_1] or [EMAIL_1] and every {{ ... }} variable exactly
as it is.
Never add facts, promises, prices, dates or links that are not in the agent's text."""

OPERATIONS = {
    "rewrite": "Rewrite the reply in this tone: {tone}. Keep its language and its meaning.",
    "grammar": (
        "Correct the spelling, grammar and punctuation only. Keep its language, wording and tone."
    ),
    "shorten": "Make the reply shorter and clearer. Keep its language and everything it promises.",
    "translate": "Translate the reply into {language}. Keep its tone.",
}


def reply_messages(text: str, *, operation: str, tone: str, language: str) -> list[dict[str, str]]:
    instruction = OPERATIONS[operation].format(
        tone=TONES.get(tone, tone), language=LANGUAGES.get(language, language)
    )
    return [
        {"role": "system", "content": REPLY_SYSTEM},
        {"role": "user", "content": f"{instruction}\n\nThe agent's reply:\n{text}"},
    ]


SUMMARY_SYSTEM = """You summarise a customer-service case for the agents of the team, as an
internal note. Write in {language}, at most 6 short lines: what the customer wants, what has
been done or promised, what is still open. Plain text, no headings, no greetings. Do not invent
anything that is not in the conversation. Keep placeholders such as [PHONE_1] as they are."""


def summary_messages(transcript: str, *, language: str) -> list[dict[str, str]]:
    return [
        {
            "role": "system",
            "content": SUMMARY_SYSTEM.format(language=LANGUAGES.get(language, "English")),
        },
        {"role": "user", "content": transcript},
    ]
