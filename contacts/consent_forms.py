"""The contact card's consent and opt-out forms (contacts.consent_views)."""

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.consent import ConsentBasis, ConsentSource, ConsentState, OptOutAction


class ConsentForm(forms.Form):
    """A grant or withdrawal of marketing consent, with its evidence and a reason."""

    state = forms.ChoiceField(label=_("Consent"), choices=ConsentState.choices)
    basis = forms.ChoiceField(label=_("Basis"), choices=ConsentBasis.choices)
    source = forms.ChoiceField(
        label=_("Source"), choices=ConsentSource.choices, initial=ConsentSource.AGENT
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Where and how it was given: the form, the import file, the conversation."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        error_messages={"required": _("Say why the consent changes.")},
    )
    at = forms.DateTimeField(
        label=_("Given or withdrawn at"),
        required=False,
        help_text=_("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def clean_at(self) -> datetime | None:
        at = self.cleaned_data.get("at")
        if at is not None and at > timezone.now():
            raise forms.ValidationError(_("That is in the future."))
        return at


class OptOutForm(forms.Form):
    """An agent's opt-out or re-subscription of one address."""

    action = forms.ChoiceField(choices=OptOutAction.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
