"""The template editor and the list's filters (seed 003: managers manage templates)."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campaigns.actions.templates import check_variables
from campaigns.models import Template
from inbox.actions import MAX_BODY
from inbox.models import Channel, Inbox
from lib.forms import MAX_QUERY_LENGTH
from lib.languages import local_language_choices

ANY_CHANNEL = [("", _("Any channel"))]


def language_choices() -> list[tuple[str, Any]]:
    return list(local_language_choices())


class TemplateForm(forms.Form):
    """A template's fields. `inboxes` are those the user may keep templates in; an admin
    may also choose "All inboxes" (an organisation template)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    inbox = forms.ModelChoiceField(
        label=_("Inbox"),
        queryset=Inbox.objects.none(),
        required=False,
        help_text=_("Who may use it: the team of one inbox, or every inbox."),
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[*ANY_CHANNEL, *Channel.choices], required=False
    )
    language = forms.ChoiceField(label=_("Language"), choices=language_choices)
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        required=False,
        help_text=_("For e-mail only; the body follows as plain text."),
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 8, "data-variables": "", "data-segments": ""}),
    )

    def __init__(
        self, *args: Any, inboxes: list[Inbox], organisation_wide: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["inbox"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Inbox.objects.filter(pk__in=[inbox.pk for inbox in inboxes])
        self.organisation_wide = organisation_wide
        if organisation_wide:
            field.empty_label = _("All inboxes")
        else:
            field.required = True
            field.empty_label = None
            field.help_text = _("The team of this inbox may use it.")
        # The counter reads the channel chosen above it (static/js/segments.js).
        self.fields["body"].widget.attrs["data-segments-channel-field"] = "id_channel"

    @classmethod
    def for_template(cls, template: Template, *args: Any, **kwargs: Any) -> "TemplateForm":
        initial = {
            "name": template.name,
            "inbox": template.inbox_id,
            "channel": template.channel,
            "language": template.language,
            "subject": template.subject,
            "body": template.body,
        }
        return cls(*args, initial=initial, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("channel") != Channel.EMAIL:
            cleaned["subject"] = ""  # hidden for other channels, and not kept
        body = cleaned.get("body")
        if body is not None:
            try:
                check_variables(subject=cleaned.get("subject") or "", body=body)
            except ValidationError as invalid:
                for field, messages in invalid.message_dict.items():
                    for message in messages:
                        self.add_error(field, message)
        return cleaned


class TemplateFilterForm(forms.Form):
    """The list's search and filters; an unknown value filters nothing."""

    q = forms.CharField(required=False, max_length=MAX_QUERY_LENGTH)
    inbox = forms.CharField(required=False)
    channel = forms.ChoiceField(required=False, choices=[("", _("All channels")), *Channel.choices])
    language = forms.ChoiceField(
        required=False, choices=lambda: [("", _("All languages")), *language_choices()]
    )

    def filters(self) -> dict[str, str]:
        """The valid filters ({} when the form refuses the query)."""
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}
