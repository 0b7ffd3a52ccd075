"""Survey triggers and throttles, the public page (GET never records, POST does, tampered
links 404), SMS score answers, one answer per invitation and its replacement within 24 h."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox import actions
from inbox.models import Conversation, ConversationEvent, Direction, Message
from surveys.actions.invitations import send_invitation
from surveys.links import token_for
from surveys.models import SurveyEvent, SurveyInvitation, SurveyResponse
from surveys.tasks import send_due
from tests.factories import inbound, inbox_with
from tests.surveys_helpers import handled, survey_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox_a(alice, max_manager):
    return inbox_with("A", "assignment", members=[alice], managers=[max_manager])


def sent_invitation(inbox, agent, manager, django_capture_on_commit_callbacks, **fields):
    survey = survey_of(inbox, manager, **fields)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = handled(inbox, agent)
    invitation = SurveyInvitation.objects.get(conversation=conversation)
    return survey, conversation, invitation


# --- Triggers and throttles -----------------------------------------------------------------


def test_resolving_after_an_agent_reply_sends_the_survey_with_its_link(
    inbox_a, alice, max_manager, django_capture_on_commit_callbacks
):
    survey, conversation, invitation = sent_invitation(
        inbox_a, alice, max_manager, django_capture_on_commit_callbacks
    )

    invitation.refresh_from_db()
    assert invitation.status == "sent" and invitation.agent == alice
    message = Message.objects.get(pk=invitation.message_id)
    assert token_for(invitation.pk) in message.body and "1" in message.body
    assert message.direction == Direction.OUTBOUND and message.author is None
    conversation.refresh_from_db()
    assert conversation.status == "resolved"
    assert ConversationEvent.objects.filter(conversation=conversation, kind="survey_sent").exists()
    assert SurveyEvent.objects.filter(survey=survey, kind="sent").exists()


def test_no_survey_without_an_agent_reply(inbox_a, alice, max_manager):
    survey_of(inbox_a, max_manager)
    conversation = handled(inbox_a, alice, reply=False)

    assert not SurveyInvitation.objects.filter(conversation=conversation).exists()


def test_the_delay_is_honoured(inbox_a, alice, max_manager, django_capture_on_commit_callbacks):
    survey_of(inbox_a, max_manager, delay_minutes=60)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = handled(inbox_a, alice)
    invitation = SurveyInvitation.objects.get(conversation=conversation)
    assert invitation.status == "scheduled"
    assert invitation.send_at > timezone.now() + timedelta(minutes=59)

    assert send_due() == 0  # not yet
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        send_at=timezone.now() - timedelta(seconds=1)
    )
    assert send_due() == 1
    assert send_due() == 0  # sent once, however often the beat runs
    invitation.refresh_from_db()
    assert invitation.status == "sent"
    assert not send_invitation(invitation.pk)


def test_reopening_cancels_a_survey_that_has_not_gone_out(inbox_a, alice, max_manager):
    survey_of(inbox_a, max_manager, delay_minutes=60)
    conversation = handled(inbox_a, alice)
    actions.set_status(conversation, status="open", actor=alice)

    invitation = SurveyInvitation.objects.get(conversation=conversation)
    assert invitation.status == "cancelled"


def test_a_contact_is_asked_at_most_once_per_n_days(
    inbox_a, alice, max_manager, django_capture_on_commit_callbacks
):
    survey = survey_of(inbox_a, max_manager, throttle_days=30)
    with django_capture_on_commit_callbacks(execute=True):
        first = handled(inbox_a, alice)
        second = handled(inbox_a, alice)  # the same sender, a new conversation

    assert SurveyInvitation.objects.filter(conversation=first).exists()
    assert not SurveyInvitation.objects.filter(conversation=second).exists()
    assert SurveyEvent.objects.filter(survey=survey, kind="throttled").count() == 1

    SurveyInvitation.objects.filter(conversation=first).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    with django_capture_on_commit_callbacks(execute=True):
        third = handled(inbox_a, alice)
    assert SurveyInvitation.objects.filter(conversation=third).exists()


def test_a_survey_for_another_channel_is_not_sent(inbox_a, alice, max_manager):
    survey_of(inbox_a, max_manager, channel="email")
    conversation = handled(inbox_a, alice)

    assert not SurveyInvitation.objects.filter(conversation=conversation).exists()


def test_an_agent_sends_a_survey_by_hand_once(
    client_for, inbox_a, alice, max_manager, django_capture_on_commit_callbacks
):
    survey = survey_of(inbox_a, max_manager, on_resolve=False)
    conversation = inbound(inbox_a).conversation
    actions.assignment.assign_to_me(conversation, actor=alice)
    url = reverse("surveys:send", args=[conversation.pk])
    client = client_for(alice)

    page = client.get(url)
    assert page.status_code == 200 and survey.name in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"survey": survey.pk})
    again = client.post(url, {"survey": survey.pk})

    assert response.status_code == 302
    assert again.status_code == 422 and "24 hours" in again.content.decode()
    invitation = SurveyInvitation.objects.get(conversation=conversation)
    assert invitation.status == "sent" and invitation.source == "manual"
    bad = client.post(url, {"survey": "nonsense"})
    assert bad.status_code == 422


def test_the_composer_offers_the_survey_button(client_for, inbox_a, alice, max_manager):
    conversation = inbound(inbox_a).conversation
    actions.assignment.assign_to_me(conversation, actor=alice)
    url = reverse("inbox:conversation", args=[conversation.pk])
    assert b"data-send-survey" not in client_for(alice).get(url).content

    survey_of(inbox_a, max_manager, on_resolve=False)
    assert b"data-send-survey" in client_for(alice).get(url).content


# --- The public page ----------------------------------------------------------------------


def test_get_never_records_and_post_does(
    client, inbox_a, alice, max_manager, django_capture_on_commit_callbacks
):
    _survey, conversation, invitation = sent_invitation(
        inbox_a, alice, max_manager, django_capture_on_commit_callbacks
    )
    token = token_for(invitation.pk)

    page = client.get(reverse("survey_answer:answer_score", args=[token, 5]))
    client.head(reverse("survey_answer:answer", args=[token]))
    assert page.status_code == 200
    assert b'value="5" checked' in page.content  # pre-filled from the link
    assert not SurveyResponse.objects.exists()

    url = reverse("survey_answer:answer", args=[token])
    response = client.post(url, {"score": "5", "comment": "Schnell und freundlich"})
    assert response.status_code == 302
    answer = SurveyResponse.objects.get()
    assert (answer.score, answer.comment, answer.agent) == (5, "Schnell und freundlich", alice)
    assert ConversationEvent.objects.filter(conversation=conversation, kind="survey_answered")
    thanks = client.get(response["Location"])
    assert b'data-outcome="recorded"' in thanks.content


def test_the_page_speaks_the_customers_language(
    client, inbox_a, alice, max_manager, django_capture_on_commit_callbacks
):
    _survey, _conversation, invitation = sent_invitation(
        inbox_a, alice, max_manager, django_capture_on_commit_callbacks
    )
    SurveyInvitation.objects.filter(pk=invitation.pk).update(language="de")

    page = client.get(reverse("survey_answer:answer", args=[token_for(invitation.pk)]))

    assert 'lang="de"' in page.content.decode()
    assert "Wie zufrieden sind Sie" in page.content.decode()


@pytest.mark.parametrize(
    "token", ["1-000000000000", "abc", "999999-ffffffffffff", "1-zz", "1" * 30 + "-0"]
)
def test_a_tampered_link_is_404(client, token, db):
    assert client.get(reverse("survey_answer:answer", args=[token])).status_code == 404
    assert (
        client.post(reverse("survey_answer:answer", args=[token]), {"score": 5}).status_code == 404
    )


def test_a_tampered_mac_of_a_real_invitation_is_404(
    client, inbox_a, alice, max_manager, django_capture_on_commit_callbacks
):
    _survey, _conversation, invitation = sent_invitation(
        inbox_a, alice, max_manager, django_capture_on_commit_callbacks
    )
    token = token_for(invitation.pk)
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")

    assert client.get(reverse("survey_answer:answer", args=[forged])).status_code == 404
    assert (
        client.post(reverse("survey_answer:answer", args=[forged]), {"score": 1}).status_code == 404
    )
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("score", ["", "0", "6", "x", "3.5", "-1"])
def test_a_bad_score_is_a_clear_error(
    client, inbox_a, alice, max_manager, django_capture_on_commit_callbacks, score
):
    _survey, _conversation, invitation = sent_invitation(
        inbox_a, alice, max_manager, django_capture_on_commit_callbacks
    )
    url = reverse("survey_answer:answer", args=[token_for(invitation.pk)])

    response = client.post(url, {"score": score})

    assert response.status_code == 422
    assert b"field-error" in response.content
    assert not SurveyResponse.objects.exists()


def test_one_answer_per_invitation_replaced_within_24_hours(
    client, inbox_a, alice, max_manager, django_capture_on_commit_callbacks
):
    survey, _conversation, invitation = sent_invitation(
        inbox_a, alice, max_manager, django_capture_on_commit_callbacks
    )
    url = reverse("survey_answer:answer", args=[token_for(invitation.pk)])

    client.post(url, {"score": "2"})
    client.post(url, {"score": "2"})  # a double POST
    assert SurveyResponse.objects.count() == 1
    client.post(url, {"score": "4", "comment": "Doch gut"})
    answer = SurveyResponse.objects.get()
    assert (answer.score, answer.comment) == (4, "Doch gut")
    assert SurveyEvent.objects.filter(survey=survey, kind="changed").count() == 1

    SurveyResponse.objects.update(answered_at=timezone.now() - timedelta(hours=25))
    late = client.post(url, {"score": "1", "comment": "Später geändert"})
    page = client.get(late["Location"])
    assert b'data-outcome="too_late"' in page.content
    answer.refresh_from_db()
    assert answer.score == 4  # the first answer stands
    kept = SurveyEvent.objects.get(survey=survey, kind="change_refused")
    assert kept.data["comment"] == "Später geändert"  # nothing lost


# --- SMS answers --------------------------------------------------------------------------


def test_an_sms_score_within_24_hours_is_an_answer_not_a_new_conversation(
    inbox_a, alice, max_manager, django_capture_on_commit_callbacks
):
    _survey, conversation, invitation = sent_invitation(
        inbox_a, alice, max_manager, django_capture_on_commit_callbacks
    )
    conversations = Conversation.objects.count()

    message = inbound(inbox_a, body=" 4 ")
    inbound(inbox_a, body="4", provider_message_id="replayed")
    inbound(inbox_a, body="4", provider_message_id="replayed")  # the webhook again

    assert Conversation.objects.count() == conversations
    assert message.conversation_id == conversation.pk
    conversation.refresh_from_db()
    assert conversation.status == "resolved" and conversation.waiting_since is None
    answer = SurveyResponse.objects.get(invitation=invitation)
    assert (answer.score, answer.source, answer.agent) == (4, "sms", alice)


@pytest.mark.parametrize("body", ["9", "Danke, 5 Sterne!", "5 5", "", "Wo ist mein Paket?"])
def test_an_sms_that_is_not_a_valid_score_is_routed_as_usual(
    inbox_a, alice, max_manager, django_capture_on_commit_callbacks, body
):
    _survey, conversation, _invitation = sent_invitation(
        inbox_a, alice, max_manager, django_capture_on_commit_callbacks
    )

    message = inbound(inbox_a, body=body)

    assert message.conversation_id != conversation.pk
    assert message.conversation.status == "open"
    assert not SurveyResponse.objects.exists()


def test_an_sms_score_after_24_hours_is_routed_as_usual(
    inbox_a, alice, max_manager, django_capture_on_commit_callbacks
):
    _survey, conversation, invitation = sent_invitation(
        inbox_a, alice, max_manager, django_capture_on_commit_callbacks
    )
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        sent_at=timezone.now() - timedelta(hours=25)
    )

    message = inbound(inbox_a, body="5")

    assert message.conversation_id != conversation.pk
    assert not SurveyResponse.objects.exists()


def test_an_sms_score_from_someone_else_is_routed_as_usual(
    inbox_a, alice, max_manager, django_capture_on_commit_callbacks
):
    sent_invitation(inbox_a, alice, max_manager, django_capture_on_commit_callbacks)

    message = inbound(inbox_a, address="+49 170 7654321", body="5")

    assert message.conversation.status == "open"
    assert not SurveyResponse.objects.exists()
