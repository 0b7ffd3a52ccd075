"""Campaign drafts: three variants for a topic, tone, type and language, each checked in code
(assistant.checks) against where it goes — the campaign's channel, at most so many SMS with
the inbox's company-name prefix and the opt-out line, the facts the manager gave. Failing
variants go back to the model once with the reasons (the repair round); what still fails is
shown with its reasons and cannot be inserted. Nothing here saves or sends anything."""

import json
import re
from types import SimpleNamespace
from typing import Any

from assistant import checks, prompts

VARIANTS = 3
FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)


def limits_for(campaign: Any, brief: dict[str, Any]) -> checks.Limits:
    from campaigns.actions.campaigns import company_prefix
    from campaigns.notice import with_notice

    language = brief["language"]
    draft = SimpleNamespace(type=campaign.type, channel=campaign.channel, inbox=campaign.inbox)
    contact = SimpleNamespace(attributes={"language": language})
    footer = with_notice("", campaign=draft, contact=contact)
    facts = brief.get("facts") or {}
    return checks.Limits(
        channel=campaign.channel,
        language=language,
        max_segments=int(brief.get("max_segments") or 1),
        prefix=company_prefix(campaign.inbox),
        footer=footer,
        allowed_links=tuple(str(v) for v in facts.values() if v),
    )


def allowed_variables() -> list[str]:
    from inbox.variables import variables_menu

    return [entry.path for group in variables_menu() for entry in group.entries]


def parse_variants(text: str) -> list[str] | None:
    """The variants' texts from the model's answer, or None when it is not the JSON asked
    for (a code fence around it and words before or after it are forgiven)."""
    text = FENCE.sub("", (text or "").strip())
    data: Any = None
    for candidate in (text, text[text.find("{") : text.rfind("}") + 1]):
        try:
            data = json.loads(candidate)
            break
        except (ValueError, TypeError):
            continue
    if isinstance(data, dict):
        data = data.get("variants")
    if not isinstance(data, list) or not data:
        return None
    found = []
    for item in data[:VARIANTS]:
        if isinstance(item, dict):
            item = item.get("text")
        found.append(item.strip() if isinstance(item, str) else "")
    return found


def failures_of(variants: list[str], limits: checks.Limits) -> dict[int, list[str]]:
    padded = variants + [""] * (VARIANTS - len(variants))
    failures = {}
    for index, text in enumerate(padded):
        reasons = checks.problems(text, limits)
        if reasons:
            failures[index] = reasons
    return failures


def draft(brief: dict[str, Any], campaign: Any, call: Any) -> dict[str, Any]:
    """Three checked variants, asking `call(messages)` (a provider completion) at most twice.
    Returns {"variants": [...], "repaired": bool, "readable": bool}."""
    limits = limits_for(campaign, brief)
    messages = prompts.draft_messages(brief, limits, allowed_variables())
    first = call(messages)
    variants = parse_variants(first.text)
    failures = failures_of(variants, limits) if variants is not None else None
    repaired = False
    if failures is None or failures:
        reasons = failures or {0: ["The answer was not the JSON asked for."]}
        again = call(
            [
                *messages,
                {"role": "assistant", "content": first.text},
                prompts.repair_message(reasons),
            ]
        )
        repaired = True
        second = parse_variants(again.text)
        if second is not None:
            if variants is None:
                variants = second
            else:
                variants = variants + [""] * (VARIANTS - len(variants))
                for index in failures or {}:
                    if index < len(second) and second[index]:
                        variants[index] = second[index]
    if variants is None:
        return {"variants": [], "repaired": repaired, "readable": False}
    variants = (variants + [""] * VARIANTS)[:VARIANTS]
    shown = []
    for text in variants:
        counted = limits.segments_of(text)
        shown.append(
            {
                "text": text,
                "segments": counted.segments if limits.channel == "sms" else None,
                "encoding": counted.encoding,
                "problems": checks.problems(text, limits),
            }
        )
    return {"variants": shown, "repaired": repaired, "readable": True}
