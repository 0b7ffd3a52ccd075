from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from inbox.actions import MAX_BODY
from inbox.models import ConversationStatus
from inbox.reply_files import check_reply_files


class ReplyForm(forms.Form):
    """A reply: text, files (inbox.reply_files), or both. The files come from the
    `attachments` input and are checked for the conversation's channel; the checked ones are
    `cleaned_data["files"]`."""

    # Not required: a picture alone is a reply (the action refuses one with neither).
    body = forms.CharField(label=_("Reply"), max_length=MAX_BODY, strip=True, required=False)
    # Generated when the composer is rendered: a double submit stores the reply once.
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, channel: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            cleaned["files"] = check_reply_files(
                self.files.getlist("attachments"), channel=self.channel
            )
        except ValidationError as refused:
            self.add_error(None, refused)
        if not cleaned.get("body") and not self.files.getlist("attachments"):
            self.add_error("body", _("Write a reply or attach a file first."))
        return cleaned


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=10_000, strip=True)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=ConversationStatus.choices)


class AssignForm(forms.Form):
    assignee = forms.IntegerField()


class NewContactForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
