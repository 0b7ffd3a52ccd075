"""An inbox's campaign settings (Settings → Inboxes → an inbox → Campaigns) and its keyword
lists for opting out, subscribing again and asking for help."""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Messages per second a sender takes by default, per channel (a long code takes 1/s; a short
# code or a Messaging Service more; an e-mail provider far more). Managers change it per inbox.
DEFAULT_RATES = {"sms": 1.0, "whatsapp": 1.0, "email": 10.0}


class CampaignSettingsQuerySet(models.QuerySet["CampaignSettings"]):
    def for_inbox(self, inbox: Any) -> "CampaignSettings":
        """The inbox's settings, created with the defaults (and the default keyword lists)
        the first time anyone asks."""
        found = self.filter(inbox=inbox).first()
        if found is not None:
            return found
        from campaigns.keywords import install_default_keywords

        created, was_created = self.get_or_create(inbox=inbox)
        if was_created:
            install_default_keywords(inbox)
        return created


class CampaignSettings(models.Model):
    inbox = models.OneToOneField(
        "inbox.Inbox", on_delete=models.CASCADE, related_name="campaign_settings"
    )
    insert_company_name = models.BooleanField(
        _("insert company name"),
        default=False,
        help_text=_(
            "Every campaign message starts with the company name, e.g. “Nordlicht GmbH: ”."
        ),
    )
    opt_out_enabled = models.BooleanField(
        _("opt-out message"),
        default=True,
        help_text=_(
            "A contact who answers with an opt-out keyword is removed from the campaign and "
            "from every later marketing campaign on that channel."
        ),
    )
    confirmation_enabled = models.BooleanField(
        _("opt-out confirmation message"),
        default=True,
        help_text=_("Confirm each opt-out once, in the contact's language."),
    )
    # {language: template}; a missing language falls back to the built-in default text.
    confirmation_texts = models.JSONField(default=dict, blank=True)
    help_texts = models.JSONField(default=dict, blank=True)
    assistant_enabled = models.BooleanField(
        _("message assistant"),
        default=False,
        help_text=_("Suggests wording for campaign messages (an AI model)."),
    )
    assistant_terms_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assistant_terms_accepted_at = models.DateTimeField(null=True, blank=True)
    assistant_masks_personal_data = models.BooleanField(
        _("mask personal data for the assistant"),
        default=True,
        help_text=_(
            "Phone numbers, e-mail addresses and IBANs are replaced by placeholders before a "
            "text goes to the AI model."
        ),
    )
    # {channel: messages per second}; missing channels take DEFAULT_RATES.
    rates = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[CampaignSettingsQuerySet] = CampaignSettingsQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("campaign settings")
        verbose_name_plural = _("campaign settings")

    def __str__(self) -> str:
        return f"{self.inbox_id}"

    def rate_for(self, channel: str) -> float:
        try:
            rate = float(self.rates.get(channel) or DEFAULT_RATES.get(channel, 1.0))
        except (TypeError, ValueError):
            rate = DEFAULT_RATES.get(channel, 1.0)
        return max(0.1, min(rate, 1000.0))


class KeywordAction(models.TextChoices):
    OPT_OUT = "opt_out", _("Opt out")
    OPT_IN = "opt_in", _("Subscribe again")
    HELP = "help", _("Help")


class OptOutKeyword(models.Model):
    inbox = models.ForeignKey("inbox.Inbox", on_delete=models.CASCADE, related_name="keywords")
    language = models.CharField(_("language"), max_length=8)
    keyword = models.CharField(_("keyword"), max_length=50)
    action = models.CharField(_("action"), max_length=16, choices=KeywordAction.choices)

    class Meta:
        verbose_name = _("keyword")
        verbose_name_plural = _("keywords")
        ordering = ["action", "language", "keyword"]
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "language", "keyword"], name="keyword_unique_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.keyword} ({self.action})"
