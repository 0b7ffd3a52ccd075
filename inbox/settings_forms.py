"""Forms of Settings → Inboxes: parse and validate what a manager or admin chose."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from contacts.identities import normalise_email, normalise_phone
from inbox.models import AgentCapacity, Channel, Inbox, InboxMode, InboxRole

# One sentence each, shown under the mode's name in the inbox form.
MODE_EXPLANATIONS = {
    InboxMode.OPEN: _("Every member may answer any conversation; nobody owns one."),
    InboxMode.ASSIGNMENT: _(
        "A member assigns a conversation to themselves before answering it; managers can reassign."
    ),
}
MODE_NAMES = {InboxMode.OPEN: _("Open"), InboxMode.ASSIGNMENT: _("Assignment")}
ROLE_CHOICES = [(InboxRole.MEMBER, _("Member")), (InboxRole.MANAGER, _("Manager"))]


class InboxForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    mode = forms.ChoiceField(
        label=_("Mode"),
        choices=[(mode, MODE_NAMES[mode]) for mode in InboxMode],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, instance: Inbox | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault("initial", {"name": instance.name, "mode": instance.mode})
        else:
            kwargs.setdefault("initial", {"mode": InboxMode.OPEN})
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        return name

    def modes(self) -> list[dict[str, Any]]:
        """The mode choices with their explanation, for the radio cards of the template."""
        current = self.data.get("mode") if self.is_bound else self.initial.get("mode")
        return [
            {
                "value": mode.value,
                "name": MODE_NAMES[mode],
                "explanation": MODE_EXPLANATIONS[mode],
                "checked": current == mode.value,
            }
            for mode in InboxMode
        ]


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.email})"


class AddMemberForm(forms.Form):
    """A licensed user who is not a member yet, and their role."""

    user = UserChoiceField(
        label=_("User"),
        queryset=User.objects.none(),
        empty_label=_("Choose a user…"),
        error_messages={"invalid_choice": _("Choose a licensed user who is not a member yet.")},
    )
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial=InboxRole.MEMBER)

    def __init__(self, *args: Any, inbox: Inbox, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            User.objects.licensed().exclude(memberships__inbox=inbox).order_by("display_name", "id")
        )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


class CapacityForm(forms.Form):
    limit = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=100,
        initial=AgentCapacity.DEFAULT,
        error_messages={
            "min_value": _("Capacity must be between 1 and 100."),
            "max_value": _("Capacity must be between 1 and 100."),
            "invalid": _("Capacity must be a whole number."),
            "required": _("Enter a capacity."),
        },
    )


class ChannelForm(forms.Form):
    """A number or address for the inbox; the address comes back normalised (E.164 for SMS
    and WhatsApp, lower-case for e-mail), the form in which providers name it."""

    # The web chat has no number or address: Settings → Web chat configures it.
    kind = forms.ChoiceField(
        label=_("Channel"),
        choices=[(value, label) for value, label in Channel.choices if value != Channel.WEB],
        initial=Channel.SMS,
    )
    address = forms.CharField(
        label=_("Number or address"),
        max_length=254,
        error_messages={"required": _("Enter a phone number or an e-mail address.")},
    )
    label = forms.CharField(label=_("Label"), max_length=100, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, address = data.get("kind"), data.get("address")
        if not kind or not address:
            return data
        try:
            data["address"] = (
                normalise_email(address) if kind == Channel.EMAIL else normalise_phone(address)
            )
        except ValidationError as invalid:
            self.add_error("address", invalid)
        data["label"] = (data.get("label") or "").strip()
        return data
