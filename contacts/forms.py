from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from contacts.attributes import raw_value
from contacts.identities import IdentityKind, normalise
from contacts.models import AttributeDefinition, AttributeType, Contact, ContactKind

AGENT_IDENTITY_KINDS = [
    (IdentityKind.EMAIL, IdentityKind.EMAIL.label),
    (IdentityKind.PHONE, IdentityKind.PHONE.label),
    (IdentityKind.WHATSAPP, IdentityKind.WHATSAPP.label),
    (IdentityKind.EXTERNAL_ID, IdentityKind.EXTERNAL_ID.label),
]


class ContactFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"))
    kind = forms.ChoiceField(
        required=False, label=_("Kind"), choices=[("", _("All kinds")), *ContactKind.choices]
    )
    tag = forms.CharField(required=False, label=_("Tag"))
    blocked = forms.ChoiceField(
        required=False,
        label=_("Blocked"),
        choices=[("", _("Blocked or not")), ("yes", _("Blocked")), ("no", _("Not blocked"))],
    )


class NewContactForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    email = forms.CharField(label=_("E-mail address"), required=False)
    phone = forms.CharField(label=_("Phone number"), required=False)

    def clean_email(self) -> str:
        value = self.cleaned_data["email"].strip()
        if value:
            normalise(IdentityKind.EMAIL, value)
        return value

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if value:
            normalise(IdentityKind.PHONE, value)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(k) for k in ("first_name", "last_name", "company")):
            raise forms.ValidationError(_("Give the contact a name or a company."))
        return data


class IdentityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AGENT_IDENTITY_KINDS)
    value = forms.CharField(label=_("Address or number"), max_length=320)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") and data.get("value"):
            try:
                data["normalised"] = normalise(data["kind"], data["value"])
            except forms.ValidationError as invalid:
                self.add_error("value", invalid)
        return data


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000
    )


class BlockForm(forms.Form):
    # Django's CharField also refuses NUL bytes, which PostgreSQL cannot store.
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        error_messages={"required": _("Say why the contact is blocked.")},
    )


def profile_form(
    definitions: list[AttributeDefinition], contact: Contact, data: Any = None
) -> forms.Form:
    """A form with one field per editable attribute, in the admin's order. Values are
    validated by type in the action (contacts.attributes.clean_value), so the fields here
    only shape the input."""
    form = forms.Form(data)
    for definition in definitions:
        initial = raw_value(contact, definition)
        label = definition.display_label
        if definition.type == AttributeType.CHOICE:
            choice_labels = (
                dict(contact._meta.get_field("gender").choices or [])
                if definition.key == "gender"
                else {}
            )
            choices = [("", "—")] + [(c, choice_labels.get(c, c)) for c in definition.choices]
            field: forms.Field = forms.ChoiceField(label=label, choices=choices, required=False)
        elif definition.type == AttributeType.BOOLEAN:
            field = forms.ChoiceField(
                label=label,
                required=False,
                choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))],
            )
            initial = {True: "true", False: "false"}.get(initial, "")
        elif definition.key == "remarks":
            field = forms.CharField(
                label=label, required=False, widget=forms.Textarea(attrs={"rows": 3})
            )
        elif definition.type == AttributeType.DATE:
            field = forms.CharField(
                label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
        else:
            field = forms.CharField(label=label, required=False)
            if definition.key == "tags":
                field.help_text = _("Separate tags with commas.")
        field.initial = initial
        form.fields[definition.key] = field
    return form
