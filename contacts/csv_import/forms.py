"""The import's forms: the upload, and the mapping with its options."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.consent import PURPOSE_OF_CHANNEL, ConsentBasis, Purpose
from contacts.csv_import import reading
from contacts.csv_import.mapping import IDENTIFIERS, IGNORE, Target, split_tags

# The consent an import can record, by channel: the contacts' e-mail addresses or numbers.
CONSENT_CHANNELS = {
    channel: Purpose(purpose).label for channel, purpose in PURPOSE_OF_CHANNEL.items()
}


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "UTF-8 or Latin-1, separated by commas or semicolons, at most 50 MB. The first "
            "row names the columns."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.facts: reading.FileFacts | None = None

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > reading.MAX_BYTES:
            raise ValidationError(reading.too_big(upload.size))
        return upload


class MappingForm(forms.Form):
    """One select per column (column_0, column_1, …) and the import's options."""

    source_system = forms.CharField(
        label=gettext_lazy("Source system of the external IDs"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("The system the IDs come from, e.g. “salesforce” or “shop”."),
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags for every imported contact"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Separated by commas, e.g. “fair 2025, newsletter”."),
    )
    consented = forms.BooleanField(
        label=gettext_lazy("These contacts consented to marketing"), required=False
    )
    consent_channel = forms.ChoiceField(
        label=gettext_lazy("Consent for"), choices=list(CONSENT_CHANNELS.items()), required=False
    )
    consent_basis = forms.ChoiceField(
        label=gettext_lazy("Basis"),
        choices=[("", "—"), *ConsentBasis.choices],
        required=False,
    )
    consent_source = forms.CharField(
        label=gettext_lazy("Source"),
        max_length=300,
        required=False,
        help_text=gettext_lazy(
            "Where and how they consented, e.g. “Newsletter sign-up form, 2025”. Kept as the "
            "evidence of each contact's consent."
        ),
    )

    def __init__(self, *args: Any, header: list[str], targets: list[Target], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.header = header
        choices = [(target.value, target.label) for target in targets]
        self.column_names = []
        for index, name in enumerate(header):
            field_name = f"column_{index}"
            self.fields[field_name] = forms.ChoiceField(label=name, choices=choices, required=False)
            self.column_names.append(field_name)

    def columns(self) -> list[forms.BoundField]:
        return [self[name] for name in self.column_names]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mapping = [data.get(name) or IGNORE for name in self.column_names]
        data["mapping"] = mapping
        if not any(target in IDENTIFIERS for target in mapping):
            raise ValidationError(
                _(
                    "Map at least one column to the e-mail address, the phone number or the "
                    "external ID: contacts are matched by them."
                )
            )
        if "external_id" in mapping and not data.get("source_system", "").strip():
            self.add_error("source_system", _("Name the system the external IDs come from."))
        data["tag_list"] = split_tags(data.get("tags", ""))
        if data.get("consented"):
            if not data.get("consent_basis"):
                self.add_error("consent_basis", _("State the basis of the consent."))
            if not data.get("consent_source", "").strip():
                self.add_error("consent_source", _("State where and how the contacts consented."))
        else:
            data["consent_channel"] = data["consent_basis"] = data["consent_source"] = ""
        return data
