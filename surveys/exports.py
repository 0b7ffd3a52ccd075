"""The survey answers section of a contact export: answers to surveys of the inboxes the
exporting user works in (admins: all), so an export never shows more than the pages do."""

from typing import Any

from contacts.models import Contact
from surveys.access import visible_surveys
from surveys.models import SurveyResponse


def survey_answers_section(contact: Contact, user: Any) -> tuple[str, Any]:
    answers = (
        SurveyResponse.objects.filter(contact=contact, survey__in=visible_surveys(user))
        .select_related("survey__inbox", "invitation")
        .order_by("answered_at", "id")
    )
    return "survey_answers", [
        {
            "survey": answer.survey.name,
            "inbox": answer.survey.inbox.name,
            "kind": answer.survey.kind,
            "score": answer.score,
            "comment": answer.comment,
            "source": answer.source,
            "channel": answer.invitation.channel,
            "invited_at": answer.invitation.sent_at,
            "answered_at": answer.answered_at,
            "changed_at": answer.changed_at,
        }
        for answer in answers
    ]
