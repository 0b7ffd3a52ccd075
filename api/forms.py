"""Settings → API: the form that creates a token."""

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.models import DEFAULT_RATE_LIMIT
from api.scopes import DESCRIPTIONS, Scope
from inbox.models import Inbox

NEVER = "never"
EXPIRY_CHOICES = [
    ("7", _("7 days")),
    ("30", _("30 days")),
    ("90", _("90 days")),
    ("180", _("180 days")),
    ("365", _("1 year")),
    (NEVER, _("Never (not recommended)")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Who uses it and for what, e.g. “CRM sync (Salesforce)”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        # The label is the description; the template shows the scope's name beside it.
        choices=[(scope.value, DESCRIPTIONS[scope]) for scope in Scope],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Give the token only what the integration needs."),
        error_messages={"required": _("Choose at least one scope.")},
    )
    inboxes = forms.ModelMultipleChoiceField(
        label=_("Inboxes"),
        queryset=Inbox.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Conversations, messages and campaigns of these inboxes only; none chosen: every "
            "inbox, also those created later."
        ),
    )
    expiry = forms.ChoiceField(
        label=_("Expires after"),
        choices=EXPIRY_CHOICES,
        initial="90",
        help_text=_(
            "A token that never expires stays valid until someone revokes it: if it leaks, "
            "nobody notices. Prefer an expiry and renew it."
        ),
    )
    rate_limit = forms.IntegerField(
        label=_("Requests per minute"),
        min_value=1,
        max_value=100_000,
        initial=DEFAULT_RATE_LIMIT,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inboxes"].queryset = Inbox.objects.order_by("name", "id")  # type: ignore[attr-defined]

    def expires_at(self) -> Any:
        expiry = self.cleaned_data["expiry"]
        if expiry == NEVER:
            return None
        return timezone.now() + timedelta(days=int(expiry))
