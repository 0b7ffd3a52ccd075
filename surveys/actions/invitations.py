"""Asking customers: on resolve (after a delay, only when an agent replied, at most once per
contact per N days), by hand from a conversation, and sending what is due.

An invitation is a row first (`scheduled`), then `send_invitation` claims it (row lock, skip
locked) and puts the message on the inbox's one outbound path (`queue_outbound`), so a task
that runs twice sends once. The beat's `send_due` picks up every invitation whose time has
come, including those a lost task left behind."""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from inbox.access import rights_in
from inbox.actions.conversations import queue_outbound
from inbox.models import (
    Conversation,
    ConversationEvent,
    ConversationStatus,
    Direction,
    Message,
)
from lib.errors import ActionRefused
from surveys import texts
from surveys.links import survey_url
from surveys.models import (
    InvitationSource,
    InvitationStatus,
    Survey,
    SurveyEvent,
    SurveyInvitation,
)
from surveys.tasks import enqueue_send

# By hand, the same survey is not sent twice to one conversation within this time (a double
# click, two agents at once).
MANUAL_AGAIN_AFTER = timedelta(hours=24)


def on_status_change(conversation: Conversation, *, old: str, new: str, actor: Any) -> None:
    """inbox.hooks status hook: resolving may invite; reopening cancels a survey that has
    not gone out yet (the case is not over)."""
    if new == ConversationStatus.RESOLVED:
        invite_on_resolve(conversation, actor=actor)
    elif old == ConversationStatus.RESOLVED:
        cancel_scheduled(conversation, reason=_("The conversation was reopened."))


def _agent_reply(conversation: Conversation) -> int | None:
    """The author of the conversation's latest reply written by an agent (None: none)."""
    return (
        Message.objects.filter(
            conversation=conversation, direction=Direction.OUTBOUND, author__isnull=False
        )
        .order_by("-created_at", "-id")
        .values_list("author_id", flat=True)
        .first()
    )


def language_of(conversation: Conversation) -> str:
    """The customer's language: their contact's `language` attribute, else the language of
    their latest message, else the organisation's."""
    contact = conversation.contact
    given = (contact.attributes or {}).get("language") if contact is not None else None
    if given:
        return texts.language_for(given)
    guessed = (
        Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
        .exclude(language="")
        .order_by("-created_at", "-id")
        .values_list("language", flat=True)
        .first()
    )
    return texts.language_for(guessed)


def recently_asked(survey: Survey, conversation: Conversation, now: datetime) -> bool:
    """Did the contact (or, with no contact, the address) get a survey of this inbox within
    the survey's `throttle_days`?"""
    since = now - timedelta(days=survey.throttle_days)
    invitations = SurveyInvitation.objects.filter(
        survey__inbox_id=survey.inbox_id, created_at__gte=since
    ).exclude(status=InvitationStatus.CANCELLED)
    if conversation.contact_id is not None:
        invitations = invitations.filter(contact_id=conversation.contact_id)
    else:
        invitations = invitations.filter(address=conversation.address)
    return invitations.exists()


@transaction.atomic
def invite_on_resolve(conversation: Conversation, *, actor: Any) -> SurveyInvitation | None:
    """Schedule the inbox's on-resolve survey for this conversation, `delay_minutes` from
    now, when an agent replied in it and the contact was not asked within the throttle.
    Returns the invitation, or None (no survey, no agent reply, blocked, throttled — the
    last leaves a `throttled` event)."""
    survey = Survey.objects.on_resolve_for(conversation.inbox_id, conversation.channel)
    if survey is None or conversation.is_blocked or not conversation.address:
        return None
    agent_id = _agent_reply(conversation)
    if agent_id is None:
        return None
    now = timezone.now()
    if recently_asked(survey, conversation, now):
        SurveyEvent.objects.record(survey, SurveyEvent.Kind.THROTTLED, conversation=conversation.pk)
        return None
    invitation = SurveyInvitation.objects.create(
        survey=survey,
        contact_id=conversation.contact_id,
        conversation=conversation,
        # The agent who handled it: its assignee, else the agent who last replied.
        agent_id=conversation.assignee_id or agent_id,
        source=InvitationSource.RESOLVE,
        channel=conversation.channel,
        address=conversation.address,
        language=language_of(conversation),
        send_at=now + timedelta(minutes=survey.delay_minutes),
        created_by=actor,
    )
    SurveyEvent.objects.record(
        survey,
        SurveyEvent.Kind.INVITED,
        actor=actor,
        invitation=invitation,
        source=invitation.source,
        send_at=str(invitation.send_at),
    )
    if survey.delay_minutes == 0:
        enqueue_send(invitation.pk)
    return invitation


@transaction.atomic
def invite_by_hand(conversation: Conversation, *, survey: Survey, actor: User) -> SurveyInvitation:
    """Send `survey` in this conversation now (a member who may reply here). Refused when the
    survey is of another inbox or switched off, or this conversation got it within 24 hours
    (a double click sends one)."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("inbox", "contact")
        .get(pk=conversation.pk)
    )
    rights = rights_in(actor, conversation)
    if not rights.can_reply:
        raise PermissionDenied(rights.reply_blocked_reason)
    if survey.inbox_id != conversation.inbox_id or not survey.is_active:
        raise ActionRefused(_("This survey cannot be sent in this conversation."))
    now = timezone.now()
    again = SurveyInvitation.objects.filter(
        survey=survey, conversation=conversation, created_at__gte=now - MANUAL_AGAIN_AFTER
    ).exclude(status=InvitationStatus.CANCELLED)
    if again.exists():
        raise ActionRefused(_("This conversation got this survey within the last 24 hours."))
    invitation = SurveyInvitation.objects.create(
        survey=survey,
        contact_id=conversation.contact_id,
        conversation=conversation,
        agent_id=conversation.assignee_id or actor.pk,
        source=InvitationSource.MANUAL,
        channel=conversation.channel,
        address=conversation.address,
        language=language_of(conversation),
        send_at=now,
        created_by=actor,
    )
    SurveyEvent.objects.record(
        survey, SurveyEvent.Kind.INVITED, actor=actor, invitation=invitation, source="manual"
    )
    enqueue_send(invitation.pk)
    return invitation


def cancel_scheduled(conversation: Conversation, *, reason: str) -> int:
    """Cancel the conversation's invitations that have not gone out; each leaves an event."""
    rows = list(
        SurveyInvitation.objects.select_for_update()
        .filter(conversation=conversation, status=InvitationStatus.SCHEDULED)
        .values_list("pk", "survey_id")
    )
    if not rows:
        return 0
    SurveyInvitation.objects.filter(
        pk__in=[pk for pk, _survey in rows], status=InvitationStatus.SCHEDULED
    ).update(status=InvitationStatus.CANCELLED, skip_reason=reason[:200])
    SurveyEvent.objects.bulk_create(
        SurveyEvent(
            survey_id=survey_id,
            invitation_id=pk,
            kind=SurveyEvent.Kind.CANCELLED,
            data={"reason": reason},
        )
        for pk, survey_id in rows
    )
    return len(rows)


def due_ids(now: datetime | None = None, limit: int = 500) -> list[int]:
    return list(
        SurveyInvitation.objects.due(now or timezone.now())
        .filter(campaign_recipient__isnull=True)
        .order_by("send_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def send_invitation(invitation_id: int) -> bool:
    """Send one due invitation: claimed under a row lock (another worker skips it), the
    message queued on the conversation's outbound path, the invitation `sent`. Not sent
    (`cancelled`, with the reason) when the conversation is gone or its contact is blocked.
    Returns whether it went out now; False also when it is not due or someone else has it."""
    invitation = (
        SurveyInvitation.objects.select_for_update(skip_locked=True)
        .select_related("survey")
        .filter(
            pk=invitation_id,
            status=InvitationStatus.SCHEDULED,
            send_at__lte=timezone.now(),
            campaign_recipient__isnull=True,
        )
        .first()
    )
    if invitation is None:
        return False
    survey = invitation.survey
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("inbox", "contact")
        .filter(pk=invitation.conversation_id or 0)
        .first()
    )
    reason = ""
    if conversation is None:
        reason = _("The conversation was deleted.")
    elif conversation.is_blocked:
        reason = _("The contact is blocked.")
    elif not survey.is_active:
        reason = _("The survey was switched off.")
    if reason or conversation is None:
        invitation.status = InvitationStatus.CANCELLED
        invitation.skip_reason = reason
        invitation.save(update_fields=["status", "skip_reason"])
        SurveyEvent.objects.record(
            survey, SurveyEvent.Kind.CANCELLED, invitation=invitation, reason=reason
        )
        return False
    body = texts.invitation_body(
        survey,
        channel=invitation.channel,
        language=invitation.language,
        link=survey_url(invitation.pk),
        company=Organisation.load().name,
    )
    message = queue_outbound(conversation, body=body, actor=None)
    now = timezone.now()
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        status=InvitationStatus.SENT, sent_at=now, message=message
    )
    SurveyEvent.objects.record(survey, SurveyEvent.Kind.SENT, invitation=invitation)
    ConversationEvent.objects.record(
        conversation,
        ConversationEvent.Kind.SURVEY_SENT,
        actor=invitation.created_by if invitation.source == InvitationSource.MANUAL else None,
        survey=survey.pk,
        name=survey.name,
    )
    return True


def manual_surveys(inbox_id: int) -> list[Survey]:
    """The surveys an agent may send by hand in this inbox's conversations."""
    return list(Survey.objects.active().filter(inbox_id=inbox_id).order_by("name", "id"))
