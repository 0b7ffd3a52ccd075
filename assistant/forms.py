"""The assistant's forms: a campaign draft's brief, a reply-box request, the monthly budget."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation

LANGUAGES = [("de", _("German")), ("en", _("English")), ("sv", _("Swedish"))]
TONES = [
    ("friendly", _("Friendly")),
    ("factual", _("Factual")),
    ("formal", _("Formal (“Sie”)")),
    ("casual", _("Casual (“du”)")),
    ("urgent", _("Urgent")),
]
KINDS = [
    ("offer", _("Offer")),
    ("reminder", _("Reminder")),
    ("announcement", _("Announcement")),
    ("survey_invitation", _("Survey invitation")),
    ("service_notice", _("Service notice")),
]
# The campaign's own type suggests the draft's.
KIND_FOR_TYPE = {"marketing": "offer", "service": "service_notice", "survey": "survey_invitation"}
OPERATIONS = [
    ("rewrite", _("Rewrite")),
    ("grammar", _("Fix grammar")),
    ("shorten", _("Shorten")),
    ("translate", _("Translate")),
]
MAX_SEGMENTS = 4
MAX_BUDGET = 1_000_000_000


class DraftForm(forms.Form):
    topic = forms.CharField(
        label=_("What is it about?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: spring sale, 20 % off all bikes until Sunday."),
    )
    tone = forms.ChoiceField(label=_("Tone"), choices=TONES)
    kind = forms.ChoiceField(label=_("Type"), choices=KINDS)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)
    max_segments = forms.IntegerField(
        label=_("At most SMS per message"), min_value=1, max_value=MAX_SEGMENTS, initial=1
    )
    price = forms.CharField(label=_("Price (optional)"), max_length=100, required=False)
    date = forms.CharField(label=_("Date (optional)"), max_length=100, required=False)
    link = forms.CharField(label=_("Link (optional)"), max_length=500, required=False)

    @classmethod
    def for_campaign(cls, campaign: Any, user: Any) -> "DraftForm":
        language = (getattr(user, "language", "") or "de")[:2]
        return cls(
            initial={
                "kind": KIND_FOR_TYPE.get(campaign.type, "offer"),
                "language": language if language in dict(LANGUAGES) else "de",
                "max_segments": 1,
            },
            auto_id="assistant_%s",
        )

    def brief(self, campaign: Any) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "campaign_id": campaign.pk,
            "topic": data["topic"].strip(),
            "tone": data["tone"],
            "kind": data["kind"],
            "language": data["language"],
            "max_segments": data["max_segments"] if campaign.channel == "sms" else 1,
            "facts": {key: data[key].strip() for key in ("price", "date", "link")},
        }


class ReplyToolForm(forms.Form):
    """The reply box's text and what to do with it (the fields live in the reply form)."""

    body = forms.CharField(max_length=50_000, required=False, strip=True)
    assistant_operation = forms.ChoiceField(choices=OPERATIONS)
    assistant_tone = forms.ChoiceField(choices=TONES, required=False)
    assistant_language = forms.ChoiceField(choices=LANGUAGES, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip():
            raise forms.ValidationError(_("Write something in the reply box first."))
        return data

    def payload(self, conversation: Any) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "conversation_id": conversation.pk,
            "text": data["body"],
            "operation": data["assistant_operation"],
            "tone": data.get("assistant_tone") or "friendly",
            "language": data.get("assistant_language") or "en",
        }


class BudgetForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["assistant_monthly_tokens"]

    def clean_assistant_monthly_tokens(self) -> int:
        value = self.cleaned_data["assistant_monthly_tokens"]
        if value > MAX_BUDGET:
            raise forms.ValidationError(_("At most %(max)s.") % {"max": MAX_BUDGET})
        return int(value)
