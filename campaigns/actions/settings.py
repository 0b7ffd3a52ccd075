"""Changes managers and admins make in Settings → Inboxes → an inbox → Campaigns: the
switches (company name, opt-out handling, the confirmation, the message assistant), the
confirmation and help texts per language, the sending rate per channel, and the keyword
lists.

Every change writes an InboxEvent of kind CAMPAIGN_SETTINGS_CHANGED naming the setting, the
old and the new value, and who made it (the inbox's audit trail, beside its other settings);
a call that changes nothing writes nothing. Every action checks the actor's right again, and
drops the inbox's cached keyword table after commit (campaigns.keywords), so the next
inbound message reads the new lists.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from campaigns.keywords import (
    DEFAULT_CONFIRMATIONS,
    DEFAULT_HELP,
    MAX_KEYWORD_LENGTH,
    forget_keywords,
    normalise,
    stored_form,
)
from campaigns.models import CampaignSettings, KeywordAction, OptOutKeyword
from campaigns.models.settings import DEFAULT_RATES
from inbox.access import inbox_role
from inbox.models import Inbox, InboxEvent, InboxRole
from inbox.variables import TemplateError, check_template
from lib.errors import ActionRefused

LANGUAGES = ("en", "de", "sv")
SWITCHES = (
    "insert_company_name",
    "opt_out_enabled",
    "confirmation_enabled",
    "assistant_enabled",
    "assistant_masks_personal_data",
)
MIN_RATE, MAX_RATE = 0.1, 1000.0


def _require_manager(actor: User, inbox: Inbox) -> None:
    if inbox_role(actor, inbox) != InboxRole.MANAGER:
        raise PermissionDenied


def _locked_settings(inbox: Inbox) -> CampaignSettings:
    """The inbox's settings (created with the defaults the first time), locked until the
    transaction ends, so two managers saving at once are serialised."""
    CampaignSettings.objects.for_inbox(inbox)
    return CampaignSettings.objects.select_for_update().get(inbox=inbox)


def _record(inbox: Inbox, actor: User, setting: str, **data: Any) -> None:
    InboxEvent.objects.record(
        inbox, InboxEvent.Kind.CAMPAIGN_SETTINGS_CHANGED, actor=actor, setting=setting, **data
    )


@transaction.atomic
def update_switches(
    inbox: Inbox,
    *,
    actor: User,
    insert_company_name: bool,
    opt_out_enabled: bool,
    confirmation_enabled: bool,
    assistant_enabled: bool,
    assistant_masks_personal_data: bool | None = None,
) -> list[str]:
    """Turn the inbox's campaign switches on or off; returns the names of those that changed.
    Switching the message assistant on records that `actor` accepted its terms (the text
    shown beside the switch, campaigns/settings/_assistant_terms.html), now. A switch given
    as None stays as it is."""
    _require_manager(actor, inbox)
    settings = _locked_settings(inbox)
    wanted = {
        "insert_company_name": insert_company_name,
        "opt_out_enabled": opt_out_enabled,
        "confirmation_enabled": confirmation_enabled,
        "assistant_enabled": assistant_enabled,
        "assistant_masks_personal_data": assistant_masks_personal_data,
    }
    changed = [
        name
        for name in SWITCHES
        if wanted[name] is not None and getattr(settings, name) != wanted[name]
    ]
    if not changed:
        return []
    now = timezone.now()
    fields = [*changed, "updated_at"]
    for name in changed:
        setattr(settings, name, wanted[name])
    if "assistant_enabled" in changed and assistant_enabled:
        settings.assistant_terms_accepted_by = actor
        settings.assistant_terms_accepted_at = now
        fields += ["assistant_terms_accepted_by", "assistant_terms_accepted_at"]
    settings.updated_at = now
    settings.save(update_fields=fields)
    for name in changed:
        _record(inbox, actor, name, old=not wanted[name], new=wanted[name])
    forget_keywords(inbox.pk)
    return changed


def _cleaned_texts(texts: dict[str, str], defaults: dict[str, str], field: str) -> dict[str, str]:
    """The texts worth keeping: valid, and neither empty nor the built-in default (so a
    later better default reaches the inboxes that never wrote their own)."""
    kept, errors = {}, {}
    for language in LANGUAGES:
        text = (texts.get(language) or "").strip()
        if not text or text == defaults[language]:
            continue
        try:
            check_template(text)
        except TemplateError as error:
            errors[f"{field}_{language}"] = [str(error)]
            continue
        kept[language] = text
    if errors:
        raise ValidationError(errors)
    return kept


@transaction.atomic
def update_texts(
    inbox: Inbox,
    *,
    actor: User,
    confirmation_texts: dict[str, str],
    help_texts: dict[str, str],
) -> list[str]:
    """Set the opt-out confirmation and help texts per language ({language: text}); an empty
    text, or the default, means the built-in default. Raises ValidationError (keyed
    `confirmation_<lang>` / `help_<lang>`) for a text with a mistake or an unknown variable.
    Returns which of the two changed."""
    _require_manager(actor, inbox)
    errors: dict[str, Any] = {}
    cleaned: dict[str, dict[str, str]] = {}
    for name, texts, defaults, field in (
        ("confirmation_texts", confirmation_texts, DEFAULT_CONFIRMATIONS, "confirmation"),
        ("help_texts", help_texts, DEFAULT_HELP, "help"),
    ):
        try:
            cleaned[name] = _cleaned_texts(texts, defaults, field)
        except ValidationError as invalid:
            errors.update(invalid.message_dict)
    if errors:
        raise ValidationError(errors)
    settings = _locked_settings(inbox)
    changed = [name for name, texts in cleaned.items() if getattr(settings, name) != texts]
    if not changed:
        return []
    for name in changed:
        old = getattr(settings, name)
        setattr(settings, name, cleaned[name])
        _record(inbox, actor, name, old=old, new=cleaned[name])
    settings.updated_at = timezone.now()
    settings.save(update_fields=[*changed, "updated_at"])
    return changed


@transaction.atomic
def update_rates(inbox: Inbox, *, actor: User, rates: dict[str, float]) -> list[str]:
    """Set how many messages per second campaigns send per channel ({channel: rate}, from
    0.1 to 1000; a long code takes 1/s, a short code 30/s). Returns the channels changed."""
    _require_manager(actor, inbox)
    errors = {}
    for channel, rate in rates.items():
        if channel not in DEFAULT_RATES:
            errors[channel] = [_("Unknown channel.")]
        elif not MIN_RATE <= float(rate) <= MAX_RATE:
            errors[channel] = [
                _("Between %(min)s and %(max)s messages per second.")
                % {"min": MIN_RATE, "max": int(MAX_RATE)}
            ]
    if errors:
        raise ValidationError(errors)
    settings = _locked_settings(inbox)
    old = {channel: settings.rate_for(channel) for channel in DEFAULT_RATES}
    new = {**old, **{channel: float(rate) for channel, rate in rates.items()}}
    changed = [channel for channel in DEFAULT_RATES if old[channel] != new[channel]]
    if not changed:
        return []
    settings.rates = {**(settings.rates or {}), **{channel: new[channel] for channel in changed}}
    settings.updated_at = timezone.now()
    settings.save(update_fields=["rates", "updated_at"])
    _record(
        inbox,
        actor,
        "rates",
        old={c: old[c] for c in changed},
        new={c: new[c] for c in changed},
    )
    return changed


@transaction.atomic
def add_keyword(
    inbox: Inbox, *, language: str, action: str, keyword: str, actor: User
) -> OptOutKeyword:
    """Add `keyword` (stored normalised, in capitals: "stop!" → "STOP") to the inbox's list
    for `language` and `action`. Raises ValidationError for an empty or too long keyword,
    an unknown language or action; ActionRefused when the list has it already, or when
    another list of the inbox gives the same word another meaning (a STOP that also meant
    START would do whichever came first)."""
    _require_manager(actor, inbox)
    errors: dict[str, list[str]] = {}
    word = stored_form(keyword)
    if not word:
        errors["keyword"] = [_("Write a keyword: letters or digits.")]
    elif len(word) > MAX_KEYWORD_LENGTH:
        errors["keyword"] = [
            _("At most %(count)s characters.") % {"count": MAX_KEYWORD_LENGTH},
        ]
    if language not in LANGUAGES:
        errors["language"] = [_("Choose English, German or Swedish.")]
    if action not in KeywordAction.values:
        errors["action"] = [_("Choose what the keyword does.")]
    if errors:
        raise ValidationError(errors)
    _locked_settings(inbox)  # installs the default lists first, and serialises the check
    same = [
        row
        for row in OptOutKeyword.objects.filter(inbox=inbox)
        if normalise(row.keyword) == normalise(word)
    ]
    if any(row.language == language and row.action == action for row in same):
        raise ActionRefused(_("“%(keyword)s” is in this list already.") % {"keyword": word})
    other = next((row for row in same if row.action != action), None)
    if other is not None:
        raise ActionRefused(
            _(
                "“%(keyword)s” already means “%(meaning)s” (%(language)s): "
                "a keyword has one meaning."
            )
            % {
                "keyword": word,
                "meaning": other.get_action_display(),
                "language": other.language,
            }
        )
    row = OptOutKeyword.objects.create(inbox=inbox, language=language, keyword=word, action=action)
    _record(inbox, actor, "keyword_added", keyword=word, language=language, action=action)
    forget_keywords(inbox.pk)
    return row


@transaction.atomic
def remove_keyword(keyword: OptOutKeyword, *, actor: User) -> None:
    """Remove a keyword from its list. Refused (ActionRefused) for the inbox's last opt-out
    keyword: customers must always have a word that stops the messages."""
    inbox = keyword.inbox
    _require_manager(actor, inbox)
    _locked_settings(inbox)
    if (
        keyword.action == KeywordAction.OPT_OUT
        and not OptOutKeyword.objects.filter(inbox=inbox, action=KeywordAction.OPT_OUT)
        .exclude(pk=keyword.pk)
        .exists()
    ):
        raise ActionRefused(_("Keep at least one opt-out keyword."))
    deleted, _rows = OptOutKeyword.objects.filter(pk=keyword.pk).delete()
    if deleted:
        _record(
            inbox,
            actor,
            "keyword_removed",
            keyword=keyword.keyword,
            language=keyword.language,
            action=keyword.action,
        )
        forget_keywords(inbox.pk)
