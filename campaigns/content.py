"""What a campaign of a later app's type carries besides its text: a registry of *campaign
content providers* (the surveys app's "survey" type: which survey, and each recipient's own
link to it). Imports flow accounts → contacts → inbox → campaigns → surveys, so campaigns
cannot name the surveys app; it registers a provider from its AppConfig.ready(), as the
inbox's composer tools and hooks are registered.

A provider serves one campaign type and says, through plain functions:

- `label` and `choose`: the editor's field label, and the sentence when nothing is chosen;
- `choices(inbox_id)`: what a manager may choose for a campaign of that inbox (the inbox's
  active surveys), stored as the campaign's `content_id`;
- `variables`: the message variables it adds (`survey.link`) with their menu labels, and
  `required`: those the message must contain, with the sentence that says why;
- `sample(campaign)`: their values for the editor's preview and the test send;
- `prepare(campaign, recipients)`: their values per recipient, for one chunk of the freeze
  (set-based: a few statements per chunk, never one per row); it may write rows of its own
  (an invitation per recipient) and must be harmless when the freeze runs a chunk twice;
- `sent(campaign, recipient)`: the provider accepted the recipient's message (may be called
  twice: harmless);
- `settle(campaign)`: recipients that will get no message (skipped, cancelled, failed) —
  after the freeze, a cancel and the completion;
- `describe(campaign)`: the label and link the campaign's report shows for its content.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from campaigns.models import CampaignType
from inbox.variables import MenuEntry, MenuGroup, TemplateError, variable_paths

logger = logging.getLogger("switchboard.campaigns")

Values = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class ContentProvider:
    type: str
    label: str | Promise
    help_text: str | Promise
    # "Choose the survey this campaign sends.": the launch's problem while nothing is chosen.
    choose: str | Promise
    choices: Callable[[int], list[tuple[int, str]]]
    # {"survey.link": "Survey link"}: the menu's entries, in order.
    variables: Mapping[str, str | Promise]
    # {"survey.link": "why it must be there"}.
    required: Mapping[str, str | Promise]
    sample: Callable[[Any], Values]
    prepare: Callable[[Any, list[Any]], dict[int, Values]]
    sent: Callable[[Any, Any], object]
    settle: Callable[[Any], object]
    describe: Callable[[Any], tuple[str, str] | None] = field(default=lambda campaign: None)


CONTENT_PROVIDERS: dict[str, ContentProvider] = {}


def register_content_provider(provider: ContentProvider) -> None:
    """Serve campaigns of `provider.type`. Call from AppConfig.ready(); registering the type
    again replaces its provider."""
    CONTENT_PROVIDERS[provider.type] = provider


def provider_for(campaign: Any) -> ContentProvider | None:
    """The provider of the campaign's type (None: marketing and service campaigns)."""
    return CONTENT_PROVIDERS.get(getattr(campaign, "type", ""))


def provider_of_type(type_: str) -> ContentProvider | None:
    return CONTENT_PROVIDERS.get(type_)


@dataclass(frozen=True)
class ContentChoices:
    type: str
    label: str
    help_text: str
    choices: list[tuple[int, str]]


def content_choices(inbox_id: int) -> list[ContentChoices]:
    """What each provider offers in this inbox, for the editor's field."""
    return [
        ContentChoices(p.type, str(p.label), str(p.help_text), p.choices(inbox_id))
        for p in CONTENT_PROVIDERS.values()
    ]


def menu_group(type_: str) -> MenuGroup | None:
    """The Variables menu's group of the type's own variables (None: it has none)."""
    provider = CONTENT_PROVIDERS.get(type_)
    if provider is None or not provider.variables:
        return None
    entries = [MenuEntry(str(label), path, True) for path, label in provider.variables.items()]
    return MenuGroup(str(provider.label), entries)


def used_elsewhere(type_: str, paths: set[str]) -> str:
    """A sentence for a text that uses another type's variable (`{{ survey.link }}` in a
    marketing campaign); "" when it uses none."""
    labels = dict(CampaignType.choices)
    for other, provider in CONTENT_PROVIDERS.items():
        found = sorted(paths & set(provider.variables)) if other != type_ else []
        if found:
            return _("%(variable)s works only in campaigns of the type “%(type)s”.") % {
                "variable": "{{ " + found[0] + " }}",
                "type": labels.get(other, other),
            }
    return ""


def extra_variables(type_: str) -> dict[str, set[str]]:
    """{"survey": {"link"}}: what check_template accepts besides account and contact."""
    provider = CONTENT_PROVIDERS.get(type_)
    found: dict[str, set[str]] = {}
    for path in provider.variables if provider else ():
        root, _dot, key = path.partition(".")
        found.setdefault(root, set()).add(key)
    return found


def missing_required(type_: str, *texts: str) -> list[str]:
    """Why the texts cannot be this type's message: the sentence of every required variable
    none of them uses (a text with a mistake counts as using nothing; the caller reports the
    mistake itself)."""
    provider = CONTENT_PROVIDERS.get(type_)
    if provider is None:
        return []
    used: set[str] = set()
    for text in texts:
        try:
            used |= variable_paths(text or "")
        except TemplateError:
            continue
    return [str(reason) for path, reason in provider.required.items() if path not in used]


def content_problem(campaign: Any) -> str:
    """Why the campaign's content is not one its provider offers ("" when it is, or when
    the type has no provider)."""
    provider = provider_for(campaign)
    if provider is None:
        return ""
    offered = {pk for pk, _label in provider.choices(campaign.inbox_id)}
    return "" if campaign.content_id in offered else str(provider.choose)


def described(campaign: Any) -> dict[str, str] | None:
    """{"label": "Survey", "name": …, "url": …} for the report and the launch, or None."""
    provider = provider_for(campaign)
    found = provider.describe(campaign) if provider is not None else None
    if provider is None or found is None:
        return None
    return {"label": str(provider.label), "name": found[0], "url": found[1]}


def message_sent(campaign: Any, recipient: Any) -> None:
    """Tell the campaign's provider that the recipient's message went out, in a savepoint
    of its own: a provider that fails is undone and logged, and the send stands (it has
    gone; the row must say so)."""
    provider = provider_for(campaign)
    if provider is None:
        return
    try:
        with transaction.atomic():
            provider.sent(campaign, recipient)
    except Exception:
        logger.exception("content provider %s failed on recipient %s", provider.type, recipient.pk)


def settle(campaign: Any) -> None:
    """Tell the provider which recipients will get nothing (see the module's docstring)."""
    provider = provider_for(campaign)
    if provider is None:
        return
    try:
        with transaction.atomic():
            provider.settle(campaign)
    except Exception:
        logger.exception("content provider %s failed to settle %s", provider.type, campaign.pk)
