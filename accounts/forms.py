import re
import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Role, User, normalise_email
from lib.languages import local_language_choices


def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(
        z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/")
    )
    return [("UTC", "UTC"), *((z, z.replace("_", " ")) for z in zones)]


class LoginForm(AuthenticationForm):
    """Log in by e-mail address, compared case-insensitively."""

    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean_username(self) -> str:
        return normalise_email(self.cleaned_data["username"])


class InviteUserForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    display_name = forms.CharField(label=_("Name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AGENT)
    language = forms.ChoiceField(
        label=_("Language"), choices=local_language_choices, initial=settings.LANGUAGE_CODE
    )

    def clean_email(self) -> str:
        email = normalise_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(_("A user with this e-mail address already exists."))
        return email


class UserForm(forms.Form):
    """An admin edits another user's profile and role."""

    display_name = forms.CharField(label=_("Name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    language = forms.ChoiceField(label=_("Language"), choices=local_language_choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)


class PreferencesForm(forms.Form):
    """A user's own profile."""

    display_name = forms.CharField(label=_("Name"), max_length=150)
    language = forms.ChoiceField(label=_("Language"), choices=local_language_choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    notify_desktop = forms.BooleanField(
        label=_("Desktop notifications"),
        required=False,
        # static/js/notifications.js asks the browser for permission when this is ticked.
        widget=forms.CheckboxInput(attrs={"data-notification-opt-in": ""}),
        help_text=_(
            "Your browser shows a notification for a new conversation or customer message in "
            "your conversations and in Unassigned, never for what you do yourself. It asks "
            "for permission when you switch this on."
        ),
    )
    notify_sound = forms.BooleanField(
        label=_("Sound"),
        required=False,
        widget=forms.CheckboxInput(attrs={"data-notification-sound": ""}),
        help_text=_("A short sound for the same messages, while Switchboard is open."),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "address", "email", "phone", "authors_may_edit_notes"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


# An admin's own account variable is inserted as {{ account.<key> }}: a plain identifier,
# as attribute keys are, and none of the four built-in ones the fields above fill in.
VARIABLE_KEY = re.compile(r"[a-z][a-z0-9_]*")
BUILT_IN_VARIABLES = frozenset(Organisation(name="").account_variables())
MAX_VARIABLES = 50


class AccountVariableForm(forms.Form):
    key = forms.CharField(
        label=_("Variable"),
        max_length=50,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. opening_hours"), "spellcheck": "false"}
        ),
    )
    value = forms.CharField(label=_("Value"), max_length=500, required=False)

    def clean_key(self) -> str:
        key = self.cleaned_data["key"].strip()
        if key and not VARIABLE_KEY.fullmatch(key):
            raise forms.ValidationError(
                _("Use lower-case letters, digits and underscores, starting with a letter.")
            )
        if key in BUILT_IN_VARIABLES:
            raise forms.ValidationError(
                _("“%(key)s” is built in: fill it in with the fields above.") % {"key": key}
            )
        return key

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        key, value = cleaned.get("key"), (cleaned.get("value") or "").strip()
        cleaned["value"] = value
        if key and not value and not cleaned.get("DELETE"):
            self.add_error("value", _("Enter a value, or remove the variable."))
        if value and "key" in cleaned and not key:
            self.add_error("key", _("Name the variable."))
        return cleaned


class BaseAccountVariableFormSet(forms.BaseFormSet):
    help_text = _(
        "Your own values for messages, for example opening hours: a message inserts one as "
        "{{ account.opening_hours }}, and the Variables menu lists it. Save to get another "
        "empty row."
    )

    def clean(self) -> None:
        if any(self.errors):
            return
        keys = [row["key"] for row in self._kept()]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise forms.ValidationError(
                _("%(keys)s is there twice; give each variable its own name.")
                % {"keys": ", ".join(duplicates)}
            )

    def _kept(self) -> list[dict[str, Any]]:
        rows = [form.cleaned_data for form in self.forms if form.cleaned_data]
        return [row for row in rows if row.get("key") and not row.get("DELETE")]

    def variables(self) -> dict[str, str]:
        """{key: value} of the rows that are filled in and not marked for removal."""
        return {row["key"]: row["value"] for row in sorted(self._kept(), key=lambda r: r["key"])}


AccountVariableFormSet = forms.formset_factory(
    AccountVariableForm,
    formset=BaseAccountVariableFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_VARIABLES,
    validate_max=True,
)


def account_variable_formset(data: Any, organisation: Organisation) -> Any:
    """The organisation's own variables, one row each, and an empty row to add one."""
    initial = [{"key": k, "value": v} for k, v in sorted((organisation.variables or {}).items())]
    return AccountVariableFormSet(data, initial=initial, prefix="variables")
