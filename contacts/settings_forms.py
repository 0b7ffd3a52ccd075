"""Forms of Settings → Contact attributes: parse and validate what an admin typed."""

import re
from typing import Any

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from contacts.attributes import BUILTIN_LABELS
from contacts.models import AttributeDefinition, AttributeOwner, AttributeType

# A key names the value in Contact.attributes, in exports and in integrations, and is meant to
# serve as a message variable later, so it is a plain identifier: no hyphens, no capitals.
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
KEY_MAX_LENGTH = AttributeDefinition._meta.get_field("key").max_length or 50
MAX_CHOICES = 100
MAX_CHOICE_LENGTH = 100
# Built-in attributes that are no message variable (inbox.variables), so have no default.
NOT_MESSAGE_VARIABLES = frozenset({"tags", "remarks"})
# Identifiers and tags belong to nobody: every side adds them (contacts.provenance).
NOT_OWNED = frozenset({"email", "phone", "tags"})
DEFAULT_MAX_LENGTH = AttributeDefinition._meta.get_field("default_value").max_length or 200


def key_from_label(label: str) -> str:
    """The key an admin gets when they leave it blank: "Customer since" → "customer_since"."""
    return slugify(label).replace("-", "_").strip("_")[:KEY_MAX_LENGTH].rstrip("_")


class BuiltinAttributeForm(forms.Form):
    """A built-in attribute keeps its name, key and type; admins choose who sees and edits it,
    and what messages insert for a contact without a value. `key` is the attribute's key
    (None for a new one); attributes that are no message variable get no default."""

    visible = forms.BooleanField(
        label=_("Visible to agents"),
        required=False,
        help_text=_("Shown in the contact panel's Profile tab when the contact has a value."),
    )
    agent_editable = forms.BooleanField(
        label=_("Agents may edit"),
        required=False,
        help_text=_("Otherwise only admins can change the value."),
    )
    owner = forms.ChoiceField(
        label=_("Owner"),
        choices=AttributeOwner.choices,
        initial=AttributeOwner.AGENTS,
        # Not posted (an older form): the owner stays as it is.
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "Agents: agents and admins fill it; the CRM may fill it while it is empty but "
            "never overwrites it. CRM: only the CRM writes it, through an API token with the "
            "scope attributes:write_crm; agents see it read-only, marked “from CRM” with the "
            "time of the last sync."
        ),
    )
    default_value = forms.CharField(
        label=_("Default value in messages"),
        max_length=DEFAULT_MAX_LENGTH,
        required=False,
        help_text=_(
            "Inserted by this attribute's variable when a contact has no value, e.g. "
            "“Kundin” for the first name. A template's own default comes first. Leave it "
            "blank and a message to a contact without a value is stopped before it is sent."
        ),
    )

    def __init__(self, *args: Any, key: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if key in NOT_MESSAGE_VARIABLES:
            del self.fields["default_value"]
        if key in NOT_OWNED:
            del self.fields["owner"]

    def clean_default_value(self) -> str:
        return self.cleaned_data["default_value"].strip()


class CustomAttributeForm(BuiltinAttributeForm):
    """A custom attribute: an admin names it, picks its type and, for a choice, its options.

    Pass `instance` to edit an existing attribute; its key is fixed then, because contacts'
    stored values are filed under it.
    """

    label = forms.CharField(label=_("Label"), max_length=100)
    key = forms.CharField(
        label=_("Key"),
        max_length=KEY_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. customer_since"), "spellcheck": "false"}
        ),
        help_text=_(
            "Names the value in exports and integrations. Lower-case letters, digits and "
            "underscores; leave it blank to derive it from the label. It cannot change later."
        ),
    )
    type = forms.ChoiceField(label=_("Type"), choices=AttributeType.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One choice per line. Only for the Choice type."),
    )
    read_only = forms.BooleanField(
        label=_("Read-only"),
        required=False,
        help_text=_("Filled by an integration; nobody edits it in Switchboard."),
    )

    field_order = [
        "label",
        "key",
        "type",
        "choices",
        "visible",
        "agent_editable",
        "read_only",
        "owner",
        "default_value",
    ]

    def __init__(self, *args: Any, instance: AttributeDefinition | None = None, **kwargs: Any):
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "label": instance.label,
                    "key": instance.key,
                    "type": instance.type,
                    "choices": "\n".join(instance.choices),
                    "visible": instance.visible,
                    "agent_editable": instance.agent_editable,
                    "read_only": instance.read_only,
                    "owner": instance.owner,
                    "default_value": instance.default_value,
                },
            )
        super().__init__(*args, **kwargs)
        if instance is not None:
            # A disabled field ignores what is posted and cleans to its initial value.
            self.fields["key"].disabled = True
            self.fields["key"].help_text = _(
                "Names the value in exports and integrations. It cannot change, so stored "
                "values stay attached."
            )

    def clean_key(self) -> str:
        key = self.cleaned_data["key"].strip()
        if self.instance is not None:
            return self.instance.key
        if key and not KEY_PATTERN.fullmatch(key):
            raise forms.ValidationError(
                _("Use lower-case letters, digits and underscores, starting with a letter.")
            )
        return key

    def clean_choices(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["choices"].splitlines()]
        choices = list(dict.fromkeys(line for line in lines if line))
        if len(choices) > MAX_CHOICES:
            raise forms.ValidationError(_("Use at most %(max)s choices.") % {"max": MAX_CHOICES})
        if any(len(choice) > MAX_CHOICE_LENGTH for choice in choices):
            raise forms.ValidationError(
                _("Keep each choice to %(max)s characters.") % {"max": MAX_CHOICE_LENGTH}
            )
        return choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "label" in cleaned and "key" in cleaned and self.instance is None:
            self._clean_new_key(cleaned)
        if "type" in cleaned and "choices" in cleaned:
            if cleaned["type"] == AttributeType.CHOICE and not cleaned["choices"]:
                self.add_error("choices", _("A choice attribute needs at least one choice."))
            elif cleaned["type"] != AttributeType.CHOICE and cleaned["choices"]:
                self.add_error("choices", _("Only the Choice type has choices; remove them."))
        return cleaned

    def _clean_new_key(self, cleaned: dict[str, Any]) -> None:
        key = cleaned["key"] or key_from_label(cleaned["label"])
        if not KEY_PATTERN.fullmatch(key):
            self.add_error(
                "key",
                _("Enter a key; this label gives none that starts with a letter."),
            )
            return
        taken = AttributeDefinition.objects.filter(key=key).first()
        if key in BUILTIN_LABELS or taken is not None:
            label = taken.display_label if taken else str(BUILTIN_LABELS[key])
            self.add_error(
                "key",
                _("The key “%(key)s” is already used by “%(label)s”.")
                % {"key": key, "label": label},
            )
            return
        cleaned["key"] = key


class IdListField(forms.Field):
    """A list of ids posted as repeated fields (`order=3&order=1&order=2`), order kept."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("The list of attributes could not be read.")}

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return [int(item) for item in value]
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class OrderForm(forms.Form):
    """The whole list in its new order, as a drag and drop leaves it."""

    order = IdListField()


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])


class VisibilityForm(forms.Form):
    # An unchecked switch posts nothing, which a BooleanField reads as False.
    visible = forms.BooleanField(required=False)
