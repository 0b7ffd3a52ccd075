"""Inbound provider events: stored by a webhook as received, turned into messages by a task.

A provider's webhook (inbox.channels.twilio.webhooks, inbox.channels.email.webhooks) only
verifies the request, checks that it names a message and a sender, and stores what routing
needs once per provider id (`store_and_enqueue`); `process` then hands the stored event to that
provider's router (`router_for`), which finds the inbox and says what arrived, and stores it
through `inbox.actions.receive_message` in a task. So a webhook answers in a few milliseconds
whatever the routing costs, a burst waits in the table instead of in the provider's retries,
and nothing is lost when the broker or a worker is down: the sweeper processes what is left.
Once processed, the stored payload is cleared (the message holds what is needed), so no copy of
a customer's text outlives an erasure.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from inbox.actions import IncomingMessage, receive_message
from inbox.channels import NotRouted
from inbox.channels.email import inbound as email_inbound
from inbox.channels.twilio import inbound as twilio_inbound
from inbox.models import InboundEvent
from inbox.tasks import enqueue_inbound

SWEEP_GRACE = timedelta(minutes=2)


def store_and_enqueue(provider: str, event_id: str, payload: dict[str, Any]) -> bool:
    """Store the event once and publish its routing after commit. False when this provider
    id was stored before (a replay): nothing is stored and nothing published."""
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                provider=provider, event_id=event_id[:200], payload=payload
            )
    except IntegrityError:
        return False
    enqueue_inbound(event.pk)
    return True


def router_for(provider: str) -> Callable[[InboundEvent], IncomingMessage]:
    """Twilio's events are Twilio's; every other provider is an e-mail service anymail
    posted for (`postmark`, `mailgun`, …)."""
    return twilio_inbound.route if provider == twilio_inbound.TWILIO else email_inbound.route


def process(event_id: int) -> list[int]:
    """Route a stored event into its inbox; returns the attachments waiting to be fetched.
    Safe to run twice: a processed event is skipped, and receive_message stores a provider
    id once. An event that cannot become a message (no inbox owns its address, a malformed
    sender) is settled with the reason and keeps its payload, so nothing is lost: it can be
    replayed once the address is set up in Settings → Inboxes → Channels."""
    with transaction.atomic():
        # Claimed for the routing: another worker routing the same event now skips it.
        event = (
            InboundEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, processed_at__isnull=True)
            .first()
        )
        if event is None:
            return []
        try:
            incoming = router_for(event.provider)(event)
            received = receive_message(incoming)
        except NotRouted as unrouted:
            return _settle(event, error=unrouted.reason)
        except ValidationError as invalid:
            return _settle(event, error=" ".join(invalid.messages))
        InboundEvent.objects.filter(pk=event.pk).update(
            processed_at=timezone.now(), message=received.message, payload={}
        )
    if not received.created or not any(file.source_url for file in incoming.attachments):
        return []
    return list(
        received.message.attachments.filter(file="")
        .exclude(source_url="")
        .values_list("pk", flat=True)
    )


# A routing task also routes up to this many other waiting events.
ALONG = 20


def waiting(limit: int = ALONG) -> list[int]:
    """The oldest events still waiting to be routed. In a burst, the routing task takes them
    along: routing a message costs a few milliseconds, a task's trip through the broker
    several more, so one task serves many messages; their own tasks then find them routed."""
    return list(
        InboundEvent.objects.filter(processed_at__isnull=True)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


def overdue(limit: int = 500) -> list[int]:
    """Events a lost task left unprocessed (the broker was down, a worker died)."""
    cutoff = timezone.now() - SWEEP_GRACE
    return list(
        InboundEvent.objects.filter(processed_at__isnull=True, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


def _settle(event: InboundEvent, *, error: str) -> list[int]:
    InboundEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), error=error[:300])
    return []
