"""Demo surveys: a CSAT survey on resolve in every demo inbox (an NPS one in the second), with
a month of invitations and answers spread over the inboxes' agents, so the results page, its
chart and the per-agent table look alive. Rows are written in bulk, as a month of real use
would have left them (invitation sent, answer some minutes later)."""

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from demo.campaigns import MANAGER
from inbox.models import Conversation, ConversationStatus, Direction, Inbox, Message
from surveys.actions.surveys import create_survey
from surveys.models import InvitationStatus, Survey, SurveyInvitation, SurveyResponse

COMMENTS = [
    "Sehr freundlich und schnell, danke!",
    "Hat etwas gedauert, aber das Problem ist gelöst.",
    "Ich musste zweimal nachfragen.",
    "Top Service!",
    "Snabb och trevlig hjälp.",
    "Quick answer, thank you.",
]


def seed_surveys(inboxes: dict[str, Inbox]) -> int:
    """Returns how many surveys were created (none when there are some already)."""
    manager = User.objects.filter(email=MANAGER).first()
    if manager is None or Survey.objects.exists():
        return 0
    rng = random.Random(20261213)  # noqa: S311 - demo data, not secrets
    created = 0
    for number, inbox in enumerate(inboxes.values()):
        kind = "nps" if number == 1 else "csat"
        survey = create_survey(
            inbox=inbox,
            actor=manager,
            name="Weiterempfehlung" if kind == "nps" else "Zufriedenheit nach dem Gespräch",
            kind=kind,
            channel="",
            texts={},
            on_resolve=True,
            delay_minutes=30,
            throttle_days=30,
            is_active=True,
        )
        created += 1
        _answers(survey, inbox, rng)
    return created


def _answers(survey: Survey, inbox: Inbox, rng: random.Random) -> None:
    # Asked on resolve, after the survey's delay, at most once per contact in its throttle
    # time: each contact's newest resolved conversation whose invitation is due by now.
    now = timezone.now()
    delay = timedelta(minutes=survey.delay_minutes)
    resolved = (
        Conversation.objects.filter(
            inbox=inbox,
            contact__isnull=False,
            status=ConversationStatus.RESOLVED,
            updated_at__lte=now - delay,
        )
        .exclude(address="")
        .order_by("contact_id", "-updated_at")
    )
    newest: dict[int | None, Conversation] = {}
    for conversation in resolved:
        newest.setdefault(conversation.contact_id, conversation)
    conversations = sorted(newest.values(), key=lambda c: c.updated_at, reverse=True)[:40]
    authors = dict(
        Message.objects.filter(
            conversation__in=conversations, direction=Direction.OUTBOUND, author__isnull=False
        )
        .order_by("conversation_id", "created_at")
        .values_list("conversation_id", "author_id")
    )
    low, high = survey.scale
    invitations = []
    for conversation in conversations:
        agent_id = conversation.assignee_id or authors.get(conversation.pk)
        if agent_id is None:
            continue
        sent_at = conversation.updated_at + delay  # resolved at its last change
        invitations.append(
            SurveyInvitation(
                survey=survey,
                contact_id=conversation.contact_id,
                conversation=conversation,
                agent_id=agent_id,
                source="resolve",
                status=InvitationStatus.SENT,
                channel=conversation.channel,
                address=conversation.address,
                language="de",
                send_at=sent_at,
                sent_at=sent_at,
                created_at=sent_at - timedelta(minutes=30),
            )
        )
    invitations = SurveyInvitation.objects.bulk_create(invitations)
    # Each agent has a tendency, so the per-agent table differs.
    bias = {agent: rng.uniform(-0.25, 0.15) for agent in {i.agent_id for i in invitations}}
    responses = []
    for invitation in invitations:
        if rng.random() > 0.65 or invitation.sent_at is None:
            continue
        share = min(max(rng.betavariate(5, 1.6) + bias[invitation.agent_id], 0), 1)
        score = low + round(share * (high - low))
        responses.append(
            SurveyResponse(
                invitation=invitation,
                survey=survey,
                agent_id=invitation.agent_id,
                contact_id=invitation.contact_id,
                score=score,
                comment=rng.choice(COMMENTS) if rng.random() < 0.4 else "",
                source=rng.choice(["web", "sms"]),
                answered_at=min(
                    invitation.sent_at + timedelta(minutes=rng.randint(2, 240)), timezone.now()
                ),
            )
        )
    SurveyResponse.objects.bulk_create(responses)
