"""The surveys' part in deleting or anonymising a contact (registered in SurveysConfig.ready).

Deleting: the contact's invitations and answers go with it (cascade on the contact), their
events with the invitations. Anonymising: the scores stay (the results keep their counts),
but every text that can name the person goes — the comments, the address an invitation went
to, and the events' data (a late answer kept aside holds a comment)."""

from collections.abc import Iterator
from contextlib import contextmanager

from contacts.models import Contact
from surveys.models import SurveyEvent, SurveyInvitation, SurveyResponse


@contextmanager
def erase_survey_answers(contact: Contact, purpose: str) -> Iterator[None]:
    if purpose == "anonymise":
        SurveyResponse.objects.filter(contact=contact).update(comment="")
        invitations = SurveyInvitation.objects.filter(contact=contact)
        SurveyEvent.objects.filter(invitation__in=invitations).update(data={})
        invitations.update(address="")
    yield
