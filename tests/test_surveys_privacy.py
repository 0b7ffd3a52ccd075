"""Survey answers in a contact's export, and gone or wordless when the contact is deleted or
anonymised."""

import json

import pytest
from django.urls import reverse

from contacts import actions as contact_actions
from contacts.models import Contact
from surveys.actions.responses import record_answer
from surveys.models import SurveyEvent, SurveyInvitation, SurveyResponse
from tests.factories import inbox_with
from tests.surveys_helpers import handled, survey_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def answer(alice, max_manager, django_capture_on_commit_callbacks):
    inbox = inbox_with("A", "open", members=[alice], managers=[max_manager])
    survey_of(inbox, max_manager)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = handled(inbox, alice)
    invitation = SurveyInvitation.objects.get(conversation=conversation)
    record_answer(invitation, score=2, comment="Greta war unzufrieden")
    record_answer(invitation, score=1, comment="Greta war unzufrieden")
    return SurveyResponse.objects.get(invitation=invitation)


def test_the_contact_export_holds_their_answers(client_for, alice, bob, answer):
    url = reverse("contacts:export", args=[answer.contact_id, "json"])

    document = json.loads(client_for(alice).get(url).content)
    assert document["survey_answers"][0]["score"] == 1
    assert document["survey_answers"][0]["comment"] == "Greta war unzufrieden"
    csv_text = client_for(alice).get(reverse("contacts:export", args=[answer.contact_id, "csv"]))
    assert "Greta war unzufrieden" in csv_text.content.decode()


def test_deleting_the_contact_deletes_their_answers(ada, answer):
    contact = Contact.objects.get(pk=answer.contact_id)
    contact_actions.delete_contact(contact, actor=ada)

    assert not SurveyResponse.objects.exists()
    assert not SurveyInvitation.objects.exists()
    assert not SurveyEvent.objects.filter(invitation__isnull=False).exists()


def test_anonymising_keeps_the_score_and_drops_the_words(ada, answer):
    contact = Contact.objects.get(pk=answer.contact_id)
    contact_actions.anonymise_contact(contact, actor=ada)

    answer.refresh_from_db()
    assert answer.score == 1 and answer.comment == ""
    assert SurveyInvitation.objects.get().address == ""
    assert not SurveyEvent.objects.exclude(data={}).filter(invitation__isnull=False).exists()
