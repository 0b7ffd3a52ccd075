"""The survey editor, the results' filters, the customer's answer and "Send survey"."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from inbox.models import Channel, Inbox
from surveys import texts
from surveys.models import Survey, SurveyKind
from surveys.results import DEFAULT_PERIOD

ANY_CHANNEL = [("", _("Every channel"))]
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "sv": "Svenska"}
MAX_DELAY_MINUTES = 7 * 24 * 60
MAX_THROTTLE_DAYS = 365
MAX_QUESTION = 300


class SurveyForm(forms.Form):
    """A survey's fields; the question and follow-up per language are left empty for the
    kind's default (shown as the placeholder)."""

    name = forms.CharField(label=_("Name"), max_length=150)
    inbox = forms.ModelChoiceField(label=_("Inbox"), queryset=Inbox.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=SurveyKind.choices)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[*ANY_CHANNEL, *Channel.choices],
        required=False,
        help_text=_("Conversations on this channel get it on resolve; a campaign sends on it."),
    )
    on_resolve = forms.BooleanField(
        label=_("Send when a conversation is resolved"),
        required=False,
        help_text=_("Only when an agent replied in it."),
    )
    delay_minutes = forms.IntegerField(
        label=_("Delay after resolving (minutes)"), min_value=0, max_value=MAX_DELAY_MINUTES
    )
    throttle_days = forms.IntegerField(
        label=_("Ask a contact at most once every (days)"),
        min_value=0,
        max_value=MAX_THROTTLE_DAYS,
    )
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("Agents can send an active survey by hand from a conversation."),
    )

    def __init__(self, *args: Any, inboxes: Any, kind: str = SurveyKind.CSAT, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["inbox"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = inboxes
        field.empty_label = None
        kind = self.data.get("kind", kind) if self.is_bound else self.initial.get("kind", kind)
        kind = kind if kind in SurveyKind.values else SurveyKind.CSAT
        for language in texts.LANGUAGES:
            name = LANGUAGE_NAMES[language]
            self.fields[f"question_{language}"] = forms.CharField(
                label=_("Question (%(language)s)") % {"language": name},
                max_length=MAX_QUESTION,
                required=False,
                # Two lines: the default shows whole as the placeholder, also on a phone.
                widget=forms.Textarea(
                    attrs={
                        "rows": 2,
                        "placeholder": texts.DEFAULT_QUESTIONS[kind][language],
                        "lang": language,
                    }
                ),
            )
            self.fields[f"follow_up_{language}"] = forms.CharField(
                label=_("Follow-up question (%(language)s)") % {"language": name},
                max_length=MAX_QUESTION,
                required=False,
                help_text=_("Empty: the default below. A single dash: no follow-up question.")
                if language == "en"
                else "",
                widget=forms.Textarea(
                    attrs={
                        "rows": 2,
                        "placeholder": texts.DEFAULT_FOLLOW_UPS[language],
                        "lang": language,
                    }
                ),
            )

    @classmethod
    def initial_for(cls, survey: Survey) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": survey.name,
            "inbox": survey.inbox_id,
            "kind": survey.kind,
            "channel": survey.channel,
            "on_resolve": survey.on_resolve,
            "delay_minutes": survey.delay_minutes,
            "throttle_days": survey.throttle_days,
            "is_active": survey.is_active,
        }
        for language in texts.LANGUAGES:
            given = (survey.texts or {}).get(language) or {}
            initial[f"question_{language}"] = given.get("question", "")
            initial[f"follow_up_{language}"] = given.get("follow_up", "")
        return initial

    def survey_fields(self) -> dict[str, Any]:
        """The cleaned data as the actions take it (the texts in one dict)."""
        data = self.cleaned_data
        # One line each (the boxes have two rows so that a default shows whole).
        survey_texts = {
            language: {
                "question": " ".join(data.get(f"question_{language}", "").split()),
                "follow_up": " ".join(data.get(f"follow_up_{language}", "").split()),
            }
            for language in texts.LANGUAGES
        }
        return {
            "name": data["name"].strip(),
            "kind": data["kind"],
            "channel": data.get("channel") or "",
            "texts": survey_texts,
            "on_resolve": data["on_resolve"],
            "delay_minutes": data["delay_minutes"],
            "throttle_days": data["throttle_days"],
            "is_active": data["is_active"],
        }


class ResultsFilterForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[
            ("7", _("Last 7 days")),
            ("30", _("Last 30 days")),
            ("90", _("Last 90 days")),
            ("365", _("Last 12 months")),
        ],
    )
    agent = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def period_value(self) -> str:
        if self.is_valid():
            return self.cleaned_data.get("period") or DEFAULT_PERIOD
        return DEFAULT_PERIOD


class AnswerForm(forms.Form):
    """The customer's answer on the survey page: a score on the survey's scale, and words."""

    score = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(required=False, max_length=5_000, widget=forms.Textarea)

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["score"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(score, str(score)) for score in survey.scores]
        field.error_messages["required"] = _("Choose a number.")
        field.error_messages["invalid_choice"] = _("Choose one of the numbers.")


class SendSurveyForm(forms.Form):
    survey = forms.ModelChoiceField(
        label=_("Survey"), queryset=Survey.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, surveys: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["survey"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = surveys
