"""Recording a customer's answer: from the survey page (POST only) or as an SMS that is just
a valid score within 24 hours of the invitation.

One answer per invitation (unique). A later answer replaces it within 24 hours of the first;
after that the first stands, the customer is told so, and the late answer is kept in a
`change_refused` event (nothing they wrote is lost). The invitation row is locked while an
answer is recorded, so two POSTs at once record one answer."""

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from campaigns.models import CampaignRecipient
from contacts.identities import CHANNEL_KINDS, normalise
from inbox.hooks import Intercepted
from inbox.models import Conversation, ConversationEvent, Message
from lib.events import emit
from surveys.models import (
    ANSWER_WITHIN,
    InvitationStatus,
    ResponseSource,
    SurveyEvent,
    SurveyInvitation,
    SurveyResponse,
)

MAX_COMMENT = 5_000
# "5", " 9 ", "10.", "4!" — a bare score and nothing else.
SCORE_ANSWER = re.compile(r"^\s*(\d{1,2})\s*[.!]?\s*$")


@dataclass(frozen=True)
class Outcome:
    """What became of an answer: `recorded` (the first), `changed`, `unchanged` (the same
    again: a double POST), or `too_late` (the first answer stands)."""

    status: str
    response: SurveyResponse


@transaction.atomic
def record_answer(
    invitation: SurveyInvitation,
    *,
    score: int,
    comment: str = "",
    source: str = ResponseSource.WEB,
) -> Outcome:
    """Record `score` (valid for the survey: the caller checked) and `comment` for the
    invitation. Side effects: a SurveyEvent, and on the invitation's conversation a
    `survey_answered` event that the thread shows."""
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("survey")
        .get(pk=invitation.pk)
    )
    survey = invitation.survey
    comment = comment.strip()[:MAX_COMMENT]
    now = timezone.now()
    response = SurveyResponse.objects.filter(invitation=invitation).first()
    if response is None:
        response = SurveyResponse.objects.create(
            invitation=invitation,
            survey=survey,
            agent_id=invitation.agent_id,
            contact_id=invitation.contact_id,
            score=score,
            comment=comment,
            source=source,
            answered_at=now,
        )
        SurveyEvent.objects.record(
            survey, SurveyEvent.Kind.ANSWERED, invitation=invitation, score=score, source=source
        )
        emit(
            Organisation.SINGLETON_ID,
            "survey.response.created",
            {"response": response.pk},
            personal=True,
        )
        _on_conversation(invitation, score)
        return Outcome("recorded", response)
    # An SMS score after a web answer keeps the web comment.
    new_comment = comment if source == ResponseSource.WEB else response.comment
    if response.score == score and response.comment == new_comment:
        return Outcome("unchanged", response)
    if not response.can_change(now):
        SurveyEvent.objects.record(
            survey,
            SurveyEvent.Kind.CHANGE_REFUSED,
            invitation=invitation,
            score=score,
            comment=comment,
            source=source,
        )
        return Outcome("too_late", response)
    old = response.score
    response.score, response.comment, response.changed_at = score, new_comment, now
    response.save(update_fields=["score", "comment", "changed_at"])
    SurveyEvent.objects.record(
        survey,
        SurveyEvent.Kind.CHANGED,
        invitation=invitation,
        old=old,
        score=score,
        source=source,
    )
    if old != score:
        _on_conversation(invitation, score)
    return Outcome("changed", response)


def _on_conversation(invitation: SurveyInvitation, score: int) -> None:
    if invitation.conversation_id is None:
        return
    survey = invitation.survey
    ConversationEvent.objects.record(
        invitation.conversation_id,
        ConversationEvent.Kind.SURVEY_ANSWERED,
        survey=survey.pk,
        metric=survey.short_name,
        score=score,
        high=survey.scale[1],
    )
    # The thread shows it at once (the live poll watches the inbox's stamp).
    Conversation.objects.filter(pk=invitation.conversation_id).touch(in_inboxes=[survey.inbox_id])


def sms_intercept(incoming: Any) -> Intercepted | None:
    """inbox.hooks intercept: an SMS or WhatsApp message that is only a number is a survey
    answer when the sender's newest invitation in this inbox went out within 24 hours and
    the number is on its survey's scale. Then it is stored in the invitation's conversation
    without reopening it (or, for a campaign's invitation, in a new resolved one) and
    recorded. Anything else is routed as usual."""
    if incoming.channel not in ("sms", "whatsapp"):
        return None
    found = SCORE_ANSWER.match(incoming.body or "")
    if found is None:
        return None
    score = int(found.group(1))
    try:
        address = normalise(CHANNEL_KINDS[incoming.channel][0], incoming.address)
    except ValidationError:
        return None
    received_at = incoming.received_at or timezone.now()
    invitation = (
        SurveyInvitation.objects.select_related("survey", "conversation")
        .filter(
            address=address,
            channel=incoming.channel,
            status=InvitationStatus.SENT,
            survey__inbox_id=incoming.inbox.pk,
            sent_at__gte=received_at - ANSWER_WITHIN,
            sent_at__lte=received_at,
        )
        .order_by("-sent_at", "-id")
        .first()
    )
    if invitation is None or not invitation.survey.is_valid_score(score):
        return None

    def claimed(message: Message) -> None:
        if invitation.conversation_id is None:
            _adopt_conversation(invitation, message)
        record_answer(invitation, score=score, source=ResponseSource.SMS)

    return Intercepted(conversation=invitation.conversation, claimed=claimed)


def _adopt_conversation(invitation: SurveyInvitation, message: Message) -> None:
    """A campaign's invitation has no conversation until its first SMS answer: the new one
    becomes its conversation (the thread shows the answer; a changed score lands there too),
    and the campaign's row counts the answer as a reply, with that conversation."""
    SurveyInvitation.objects.filter(pk=invitation.pk, conversation__isnull=True).update(
        conversation=message.conversation_id
    )
    if invitation.campaign_recipient_id is not None:
        CampaignRecipient.objects.filter(
            pk=invitation.campaign_recipient_id, replied_at__isnull=True
        ).update(replied_at=message.created_at, conversation=message.conversation_id)
