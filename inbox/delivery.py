"""Outbound delivery (DESIGN.md §6): claim, send once, record; retry what is transient;
never resend blindly what may have gone out; let delivery status only move forward.

Every outbound message — a reply, a message from the contact card, later campaigns — is a
row committed as `queued` with `due_at`, then `enqueue_delivery` publishes a task after
commit. The task calls `send_queued`, which claims the row with a conditional UPDATE, so a
task that runs twice (a redelivery after a worker was killed) sends once. The sweeper
re-enqueues queued rows whose time has passed (the broker was down) and settles rows stuck
in `sending` (the worker died mid-send) as `unknown`.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from inbox.actions.opt_out import record_refusal_opt_out
from inbox.channels import (
    NO_SENDER,
    PermanentFailure,
    SendResult,
    TransientFailure,
    UnknownOutcome,
    provider_for,
)
from inbox.models import (
    Conversation,
    ConversationEvent,
    DeliveryStatus,
    Direction,
    InboxChannel,
    Message,
)
from lib.events import emit

logger = logging.getLogger("switchboard.delivery")

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 600
# A queued row this late is re-enqueued by the sweeper (its task was never published).
SWEEP_GRACE = timedelta(minutes=2)
# A row claimed this long ago and still `sending` lost its worker (above the task time limit).
STALE_SENDING = timedelta(minutes=10)

# Delivery status only moves forward: an update applies only to rows of a lower rank.
RANK: dict[str, int] = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENDING: 1,
    DeliveryStatus.UNKNOWN: 2,
    DeliveryStatus.SENT: 3,
    DeliveryStatus.DELIVERED: 4,
    DeliveryStatus.FAILED: 4,
    DeliveryStatus.READ: 5,
}

# Error codes of our own (not the provider's), explained to the agent in their language;
# NO_SENDER comes from inbox.channels, where the providers raise it.
BLOCKED = "blocked"
GAVE_UP = "gave_up"
WORKER_LOST = "worker_lost"


def backoff(attempt: int) -> int:
    """Seconds before try number `attempt + 1`: 5, 10, 20, … capped at 10 minutes."""
    return int(min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0)))


def lower_than(status: str) -> list[str]:
    return [s for s, rank in RANK.items() if rank < RANK[status]]


def sender_for(conversation: Conversation) -> InboxChannel | None:
    """Our number or address a reply goes out from: the one the customer wrote to, or the
    inbox's first of that channel."""
    if conversation.inbox_channel_id:
        return conversation.inbox_channel
    return InboxChannel.objects.sender_for(conversation.inbox_id, conversation.channel)


@dataclass(frozen=True)
class Outcome:
    """What `send_queued` did; `retry_in` asks the task to try again after so many seconds."""

    status: str
    retry_in: int | None = None


def send_queued(message_id: int) -> Outcome | None:
    """Claim the queued message and send it once. None when there was nothing to claim."""
    now = timezone.now()
    claimed = Message.objects.filter(
        pk=message_id, status=DeliveryStatus.QUEUED, direction=Direction.OUTBOUND
    ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, attempted_at=now)
    if not claimed:
        return None
    message = Message.objects.select_related(
        "conversation__contact", "conversation__inbox_channel"
    ).get(pk=message_id)
    conversation = message.conversation
    if conversation.is_blocked:
        return _fail(message, "", BLOCKED)
    if conversation.inbox_channel is None:
        conversation.inbox_channel = sender_for(conversation)
    try:
        result = provider_for(conversation.channel).send(message)
    except TransientFailure as exc:
        if message.attempts >= MAX_ATTEMPTS:
            return _fail(message, exc.reason, GAVE_UP)
        delay = backoff(message.attempts)
        Message.objects.filter(pk=message_id, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.QUEUED,
            due_at=timezone.now() + timedelta(seconds=delay),
            error=exc.reason[:300],
            error_code=exc.code[:32],
        )
        logger.info("message %s: transient failure (%s), retry in %ss", message_id, exc, delay)
        return Outcome(DeliveryStatus.QUEUED, retry_in=delay)
    except PermanentFailure as exc:
        return _fail(message, exc.reason, exc.code)
    except UnknownOutcome as exc:
        _settle(message, DeliveryStatus.UNKNOWN, exc.reason, exc.code)
        return Outcome(DeliveryStatus.UNKNOWN)
    except Exception as exc:  # a bug or a time limit mid-send: it may have gone out
        logger.exception("message %s: unexpected error while sending", message_id)
        _settle(message, DeliveryStatus.UNKNOWN, f"{type(exc).__name__}: {exc}", "")
        return Outcome(DeliveryStatus.UNKNOWN)
    # A status callback may have arrived first and moved the row on already: record the
    # provider id regardless, the status only if it is still ours to move.
    Message.objects.filter(pk=message_id, provider_message_id__isnull=True).update(
        provider=result.provider, provider_message_id=result.provider_message_id
    )
    with transaction.atomic():
        if Message.objects.filter(pk=message_id, status__in=lower_than(DeliveryStatus.SENT)).update(
            status=DeliveryStatus.SENT, error="", error_code=""
        ):
            emit(
                Organisation.SINGLETON_ID,
                "message.status_changed",
                {"message": message_id},
                personal=True,
            )
    _touch(message.conversation_id)
    return Outcome(DeliveryStatus.SENT)


def _fail(message: Message, reason: str, code: str) -> Outcome:
    _settle(message, DeliveryStatus.FAILED, reason, code)
    return Outcome(DeliveryStatus.FAILED)


@transaction.atomic
def _settle(message: Message, status: str, reason: str, code: str) -> None:
    changed = Message.objects.filter(pk=message.pk, status=DeliveryStatus.SENDING).update(
        status=status, error=reason[:300], error_code=code[:32]
    )
    if changed:
        ConversationEvent.objects.record(
            message.conversation_id,
            ConversationEvent.Kind.DELIVERY_FAILED,
            message=message.pk,
            status=status,
            code=code,
        )
        if status == DeliveryStatus.FAILED:
            # Twilio 21610: the recipient unsubscribed; campaigns must skip them too.
            record_refusal_opt_out(message, code)
        emit(
            Organisation.SINGLETON_ID,
            "message.status_changed",
            {"message": message.pk},
            personal=True,
        )
        _touch(message.conversation_id)
    logger.warning("message %s: %s (%s %s)", message.pk, status, code, reason)


def _touch(conversation_id: int) -> None:
    """Bump the conversation so the live poll redraws the thread with the new status."""
    Conversation.objects.filter(pk=conversation_id).touch()


def record_status(
    message: Message,
    status: str,
    *,
    error_code: str = "",
    error: str = "",
    learned: SendResult | None = None,
) -> bool:
    """Apply a provider's status callback, forward only. True when the row changed.

    An out-of-order `sent` after `delivered` changes nothing; a callback for a message whose
    send ended `unknown` settles it, and records the provider id it never got back
    (`learned`).
    """
    if status not in RANK:
        return False
    if learned is not None:
        Message.objects.filter(pk=message.pk, provider_message_id__isnull=True).update(
            provider=learned.provider, provider_message_id=learned.provider_message_id
        )
    fields: dict[str, Any] = {"status": status}
    if status == DeliveryStatus.FAILED:
        fields.update(error=(error or error_code)[:300], error_code=error_code[:32])
    else:
        fields.update(error="", error_code="")
    with transaction.atomic():
        changed = Message.objects.filter(pk=message.pk, status__in=lower_than(status)).update(
            **fields
        )
        if changed and status == DeliveryStatus.FAILED:
            ConversationEvent.objects.record(
                message.conversation_id,
                ConversationEvent.Kind.DELIVERY_FAILED,
                message=message.pk,
                status=status,
                code=error_code,
            )
            record_refusal_opt_out(message, error_code)
        if changed:
            emit(
                Organisation.SINGLETON_ID,
                "message.status_changed",
                {"message": message.pk},
                personal=True,
            )
            _touch(message.conversation_id)
    return bool(changed)


def overdue_queued(limit: int = 500) -> list[int]:
    cutoff = timezone.now() - SWEEP_GRACE
    return list(
        Message.objects.filter(status=DeliveryStatus.QUEUED)
        .filter(Q(due_at__lt=cutoff) | Q(due_at__isnull=True, created_at__lt=cutoff))
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )


def settle_lost_sends(limit: int = 500) -> int:
    """Rows a dead worker left `sending`: it is unknown whether they went out, so they are
    shown to the agent as unknown instead of being sent again."""
    cutoff = timezone.now() - STALE_SENDING
    stuck = Message.objects.filter(status=DeliveryStatus.SENDING, attempted_at__lt=cutoff)
    settled = 0
    for message in stuck.order_by("attempted_at")[:limit]:
        _settle(message, DeliveryStatus.UNKNOWN, "", WORKER_LOST)
        settled += 1
    return settled


def explain(message: Message) -> str:
    """The failure, in the agent's language where it is one of ours."""
    ours = {
        NO_SENDER: _("This inbox has no number or address for this channel."),
        BLOCKED: _("The contact is blocked, so nothing was sent."),
        GAVE_UP: _("The provider kept refusing; gave up after %(n)s tries.")
        % {"n": message.attempts},
        WORKER_LOST: _("Sending was interrupted; it is not known whether the message went out."),
    }
    text = ours.get(message.error_code, "")
    if message.error and message.error_code in ours:
        return f"{text} ({message.error})"
    return text or message.error
