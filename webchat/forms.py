from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from webchat.models import BrandColour, ConsentMode, WebWidget
from webchat.origins import parse_origins

MAX_MESSAGE = 5000


class WidgetSettingsForm(forms.Form):
    enabled = forms.BooleanField(label=_("Web chat is on"), required=False)
    colour = forms.ChoiceField(
        label=_("Brand colour"), choices=BrandColour.choices, widget=forms.RadioSelect
    )
    greeting = forms.CharField(
        label=_("Greeting"),
        max_length=300,
        required=False,
        help_text=_("The first thing a visitor reads when they open the chat."),
    )
    away_message = forms.CharField(
        label=_("Away message"),
        max_length=300,
        required=False,
        help_text=_(
            "Shown when nobody has answered the visitor for two minutes, with a field to leave "
            "an e-mail address for the answer."
        ),
    )
    allowed_origins = forms.CharField(
        label=_("Allowed website origins"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_(
            "One a line, such as https://www.example.com or https://shop.example.com:8443. "
            "Only these websites may embed the chat (http only for 127.0.0.1 or localhost "
            "with a port, for development)."
        ),
    )
    consent_mode = forms.ChoiceField(
        label=_("Consent mode"), choices=ConsentMode.choices, widget=forms.RadioSelect
    )

    @classmethod
    def for_widget(cls, widget: WebWidget, data: Any = None) -> "WidgetSettingsForm":
        initial = {
            "enabled": widget.enabled,
            "colour": widget.colour,
            "greeting": widget.greeting,
            "away_message": widget.away_message,
            "allowed_origins": widget.allowed_origins,
            "consent_mode": widget.consent_mode,
        }
        return cls(data, initial=initial)

    def clean_allowed_origins(self) -> list[str]:
        return parse_origins(self.cleaned_data.get("allowed_origins") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("enabled")
            and not data.get("allowed_origins")
            and "allowed_origins" not in self.errors
        ):
            self.add_error(
                "allowed_origins",
                ValidationError(_("Name at least one website that may embed the chat.")),
            )
        return data


class VisitorMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=MAX_MESSAGE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("Messages are up to %(limit_value)d characters.")},
    )
    client_id = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)


class LeaveEmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        error_messages={"invalid": _("Enter an e-mail address such as name@example.com.")},
    )
