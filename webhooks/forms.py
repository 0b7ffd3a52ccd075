"""Forms of Settings → Webhooks: parse and validate what an admin typed."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from webhooks import ssrf
from webhooks.event_types import ALL, EVENT_TYPES

URL_MAX_LENGTH = 2000


def event_type_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in EVENT_TYPES]


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=URL_MAX_LENGTH,
        help_text=_(
            "Where Switchboard posts the events, e.g. https://crm.example.com/hooks/switchboard."
        ),
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("Which system receives them, for your colleagues."),
    )
    all_events = forms.BooleanField(
        label=_("All events, also those added later"),
        required=False,
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        required=False,
        choices=event_type_choices,
        widget=forms.CheckboxSelectMultiple,
    )
    include_personal_data = forms.BooleanField(
        label=_("Include personal data"),
        required=False,
        help_text=_(
            "Names, addresses, message texts and comments go to the receiving system. Only "
            "turn this on when that system may process them (a data processing agreement)."
        ),
    )

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"]).strip()
        if "\x00" in url or any(ch.isspace() for ch in url):
            raise ValidationError(_("The URL must not contain spaces."))
        try:
            ssrf.check(url)
        except ssrf.Refused as refused:
            raise ValidationError(str(refused)) from refused
        return url

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("all_events"):
            cleaned["event_types"] = [ALL]
        elif not cleaned.get("event_types"):
            self.add_error("event_types", _("Choose at least one event, or all events."))
        return cleaned

    @classmethod
    def initial_for(cls, endpoint: Any) -> dict[str, Any]:
        types = list(endpoint.event_types or [])
        return {
            "url": endpoint.url,
            "description": endpoint.description,
            "all_events": ALL in types,
            "event_types": [t for t in types if t != ALL],
            "include_personal_data": endpoint.include_personal_data,
        }


class ReplaySinceForm(forms.Form):
    since = forms.DateTimeField(
        label=_("Failed since"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )

    def clean_since(self) -> Any:
        since = self.cleaned_data["since"]
        if since > timezone.now():
            raise ValidationError(_("Choose a time in the past."))
        return since
