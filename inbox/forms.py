from django import forms
from django.utils.translation import gettext_lazy as _

from inbox.actions import MAX_BODY
from inbox.models import ConversationStatus


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply"), max_length=MAX_BODY, strip=True)
    # Generated when the composer is rendered: a double submit stores the reply once.
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=10_000, strip=True)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=ConversationStatus.choices)


class AssignForm(forms.Form):
    assignee = forms.IntegerField()


class NewContactForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
