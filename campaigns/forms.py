"""The forms of Settings → Inboxes → an inbox → Campaigns (campaigns.settings_views)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.actions.settings import LANGUAGES, MAX_RATE, MIN_RATE
from campaigns.keywords import DEFAULT_CONFIRMATIONS, DEFAULT_HELP, MAX_KEYWORD_LENGTH, stored_form
from campaigns.models import CampaignSettings, KeywordAction
from campaigns.models.settings import DEFAULT_RATES
from inbox.variables import TemplateError, check_template

LANGUAGE_LABELS = {"en": _("English"), "de": _("German"), "sv": _("Swedish")}
CHANNEL_LABELS = {"sms": _("SMS"), "whatsapp": _("WhatsApp"), "email": _("E-mail")}


class SwitchesForm(forms.Form):
    insert_company_name = forms.BooleanField(label=_("Insert company name"), required=False)
    opt_out_enabled = forms.BooleanField(label=_("Opt-out message"), required=False)
    confirmation_enabled = forms.BooleanField(
        label=_("Opt-out confirmation message"), required=False
    )
    assistant_enabled = forms.BooleanField(label=_("Message assistant"), required=False)
    assistant_masks_personal_data = forms.BooleanField(
        label=_("Mask personal data for the assistant"), required=False
    )

    @classmethod
    def for_settings(cls, settings: CampaignSettings) -> "SwitchesForm":
        return cls(initial={name: getattr(settings, name) for name in cls.base_fields})


class TextsForm(forms.Form):
    """The confirmation and help text per language; each shows its default when the inbox
    has none of its own, and is checked as a message template (inbox.variables)."""

    def __init__(self, *args: Any, settings: CampaignSettings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label, texts, defaults in (
            (
                "confirmation",
                _("Opt-out confirmation"),
                settings.confirmation_texts,
                DEFAULT_CONFIRMATIONS,
            ),
            ("help", _("Help"), settings.help_texts, DEFAULT_HELP),
        ):
            for language in LANGUAGES:
                self.fields[f"{kind}_{language}"] = forms.CharField(
                    label=f"{label} ({LANGUAGE_LABELS[language]})",
                    required=False,
                    max_length=1000,
                    initial=(texts or {}).get(language) or defaults[language],
                    widget=forms.Textarea(attrs={"rows": 2}),
                    help_text=_("Empty: the default text."),
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, text in list(data.items()):
            if text and text.strip():
                try:
                    check_template(text)
                except TemplateError as error:
                    self.add_error(name, str(error))
        return data

    def texts(self, kind: str) -> dict[str, str]:
        return {language: self.cleaned_data[f"{kind}_{language}"] for language in LANGUAGES}

    def rows(self) -> list[tuple[Any, Any, Any]]:
        """(language label, confirmation field, help field) for the template."""
        return [
            (LANGUAGE_LABELS[language], self[f"confirmation_{language}"], self[f"help_{language}"])
            for language in LANGUAGES
        ]


class RatesForm(forms.Form):
    def __init__(self, *args: Any, settings: CampaignSettings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for channel in DEFAULT_RATES:
            self.fields[channel] = forms.FloatField(
                label=CHANNEL_LABELS[channel],
                min_value=MIN_RATE,
                max_value=MAX_RATE,
                initial=settings.rate_for(channel),
                widget=forms.NumberInput(attrs={"step": "0.1"}),
                error_messages={"required": _("Give a rate in messages per second.")},
            )


class KeywordForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=list(LANGUAGE_LABELS.items()))
    action = forms.ChoiceField(label=_("Does"), choices=KeywordAction.choices)
    keyword = forms.CharField(
        label=_("Keyword"),
        max_length=200,
        error_messages={"required": _("Write a keyword: letters or digits.")},
    )

    def clean_keyword(self) -> str:
        word = stored_form(self.cleaned_data["keyword"])
        if not word:
            raise forms.ValidationError(_("Write a keyword: letters or digits."))
        if len(word) > MAX_KEYWORD_LENGTH:
            raise forms.ValidationError(
                _("At most %(count)s characters.") % {"count": MAX_KEYWORD_LENGTH}
            )
        return word
