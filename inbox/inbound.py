"""Inbound provider events: stored by a webhook as received, turned into messages by a task.

A provider's webhook (inbox.channels.twilio.webhooks, inbox.channels.email.webhooks) only
verifies the request, checks that it names a message and a sender, and stores what routing
needs once per provider id (`store_and_enqueue`); a task then claims a batch of waiting events
(`route_batch`), hands each to its provider's router (`router_for`), which finds the inbox and
says what arrived, and stores them together through `inbox.actions.receive_messages`. So a
webhook answers in a few milliseconds whatever the routing costs, a burst waits in the table
instead of in the provider's retries, and nothing is lost when the broker or a worker is down:
the sweeper processes what is left.
Once processed, the stored payload is cleared (the message holds what is needed), so no copy of
a customer's text outlives an erasure.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from inbox.actions import IncomingMessage, receive_messages
from inbox.channels import NotRouted
from inbox.channels.email import inbound as email_inbound
from inbox.channels.twilio import inbound as twilio_inbound
from inbox.models import Attachment, InboundEvent
from inbox.tasks import enqueue_inbound
from lib import memo
from lib.bulk import update_each

logger = logging.getLogger("switchboard.inbound")

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


# A routing task claims up to this many waiting events at a time and routes them together.
BATCH = 50
# … and keeps claiming while events wait, for at most this long (a burst is drained by the
# tasks already running; their events' own tasks then find nothing left).
DRAIN_SECONDS = 10.0
# Events that failed on their own in this process: later batches leave them out, so one
# broken event does not send every batch behind it down the slow path. Its own task and the
# sweeper still try it alone.
FAILED: set[int] = set()


def process(event_id: int) -> list[int]:
    """Route a stored event into its inbox; returns the attachments waiting to be fetched.
    Safe to run twice: a processed event is skipped, and receive_messages stores a provider
    id once. An event that cannot become a message (no inbox owns its address, a malformed
    sender) is settled with the reason and keeps its payload, so nothing is lost: it can be
    replayed once the address is set up in Settings → Inboxes → Channels."""
    return route_batch(first=event_id, alone=True).attachments


@dataclass(frozen=True)
class Routed:
    claimed: int  # events this batch claimed (routed or settled)
    attachments: list[int]  # media of new messages waiting to be fetched


def route_batch(*, first: int | None = None, alone: bool = False, limit: int = BATCH) -> Routed:
    """Claim the oldest waiting events (`first` among them while it waits, or only it when
    `alone`) and route them in one transaction: a fixed number of statements for the batch
    (inbox.actions.receive_messages), however many messages it holds. Events another worker
    is routing are skipped (claimed with FOR UPDATE SKIP LOCKED), so two workers never route
    one event. A worker that dies mid-batch commits nothing: the events stay waiting for the
    next task or the sweeper. An event that makes the batch fail (a bug, a broken payload)
    undoes it; its events are then routed one by one, so one bad event only fails itself."""
    try:
        # One memo for the batch, as for a request: the inbox owning a number, an inbox's
        # keywords and the like are read once, not once per message.
        with memo.scope(), transaction.atomic():
            events = _claim(first=first, alone=alone, limit=limit)
            attachments = _route(events)
    except Exception:
        if alone:
            raise
        logger.exception("a batch of inbound events failed; routing them one by one")
        claimed = _claimable(first=first, limit=limit)
        attachments = []
        for pk in claimed:
            try:
                attachments += process(pk)
            except Exception:
                logger.exception("inbound event %s could not be routed; the sweeper retries", pk)
                if len(FAILED) > 10_000:
                    FAILED.clear()
                FAILED.add(pk)
        return Routed(len(claimed), attachments)
    return Routed(len(events), attachments)


def _claim(*, first: int | None, alone: bool, limit: int) -> list[InboundEvent]:
    waiting = InboundEvent.objects.select_for_update(skip_locked=True).filter(
        processed_at__isnull=True
    )
    own = list(waiting.filter(pk=first)) if first is not None else []
    if alone:
        return own
    others = waiting.exclude(pk__in=[first, *FAILED] if first is not None else FAILED)
    return own + list(others.order_by("received_at", "id")[: limit - len(own)])


def _claimable(*, first: int | None, limit: int) -> list[int]:
    """The ids a failed batch held (the same choice as _claim, unlocked)."""
    waiting = InboundEvent.objects.filter(processed_at__isnull=True)
    own = [first] if first is not None and waiting.filter(pk=first).exists() else []
    others = waiting.exclude(pk__in=[*own, *FAILED]).order_by("received_at", "id")
    return own + list(others.values_list("pk", flat=True)[: limit - len(own)])


def _route(events: list[InboundEvent]) -> list[int]:
    """Turn claimed events into messages (the caller holds the transaction); returns the
    attachments of new messages waiting to be fetched."""
    events = sorted(events, key=lambda event: (event.received_at, event.pk))
    routed: list[tuple[InboundEvent, IncomingMessage]] = []
    now = timezone.now()
    for event in events:
        try:
            routed.append((event, router_for(event.provider)(event)))
        except NotRouted as unrouted:
            _settled(event, now, error=unrouted.reason)
        except ValidationError as invalid:
            _settled(event, now, error=" ".join(invalid.messages))
    results = receive_messages([incoming for _event, incoming in routed])
    fetch: list[int] = []
    for (event, incoming), received in zip(routed, results, strict=True):
        if isinstance(received, ValidationError):
            _settled(event, now, error=" ".join(received.messages))
            continue
        event.processed_at, event.message, event.payload = now, received.message, {}
        if received.created and any(file.source_url for file in incoming.attachments):
            fetch.append(received.message.pk)
    update_each(events, ["processed_at", "message", "payload", "error"])
    if not fetch:
        return []
    return list(
        Attachment.objects.filter(message_id__in=fetch, file="")
        .exclude(source_url="")
        .values_list("pk", flat=True)
    )


def _settled(event: InboundEvent, now: datetime, *, error: str) -> None:
    event.processed_at, event.error = now, error[:300]


def waiting(limit: int = BATCH) -> list[int]:
    """The oldest events still waiting to be routed."""
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
