"""What an operator changes: replaying and purging inbound events, publishing stuck outbound
messages again. Each logs what it did (switchboard.operations) without personal data.

Inbound events and messages belong to the inbox, whose paths do the real work: a replay goes
through `inbox.inbound.process` (idempotent: it claims the event, and a provider id is stored
once), a requeue through `inbox.tasks.deliver_message` (it claims its row with a conditional
UPDATE, so a message published twice is sent once). Only the operator's steps around them
live here, at the end of the import chain, since nothing in the product calls them."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox import inbound
from inbox.models import InboundEvent
from inbox.tasks import enqueue_attachment_fetch
from operations import queries
from operations.access import operator_inbound_event
from operations.tasks import publish_deliveries

logger = logging.getLogger("switchboard.operations")

PURGE_BATCH = 1000


@dataclass(frozen=True)
class Replayed:
    event_id: int
    routed: bool
    message_id: int | None
    reason: str


class Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def replay_inbound_event(event_id: int) -> Replayed:
    """Route an unrouted (or still pending) event again, now that its number or address may
    be set up: it is reopened with a conditional UPDATE and handed to inbox.inbound.process,
    in this process. Refused for an event that became a message already. Replaying twice is
    harmless: a routed event is never reopened, and the provider id is stored once."""
    event = operator_inbound_event(event_id)
    if event.message_id is not None:
        raise Refused(
            _("Event %(id)s is routed already (message %(message)s).")
            % {"id": event.pk, "message": event.message_id}
        )
    if not event.payload:
        raise Refused(_("Event %(id)s keeps no payload to route.") % {"id": event.pk})
    with transaction.atomic():
        InboundEvent.objects.filter(
            pk=event.pk, message__isnull=True, processed_at__isnull=False
        ).update(processed_at=None, error="")
    attachments = inbound.process(event.pk)
    for attachment_id in attachments:
        enqueue_attachment_fetch(attachment_id)
    event.refresh_from_db()
    routed = event.message_id is not None
    logger.info("inbound event %s replayed: %s", event.pk, "routed" if routed else "unrouted")
    return Replayed(event.pk, routed, event.message_id, event.error)


def purge_unrouted_inbound_events(*, older_than_days: int, dry_run: bool = False) -> int:
    """Delete unrouted events received more than `older_than_days` ago, in batches (their
    payload holds a customer's number and text). Returns how many were (or, with `dry_run`,
    would be) deleted."""
    if older_than_days < 1:
        raise Refused(_("The age must be at least one day."))
    cutoff = timezone.now() - timedelta(days=older_than_days)
    old = queries.unrouted_events().filter(received_at__lt=cutoff)
    if dry_run:
        return old.count()
    deleted, after = 0, 0
    while True:
        # A cursor over the primary key: each batch goes on where the last one stopped.
        ids = list(
            old.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:PURGE_BATCH]
        )
        if not ids:
            break
        with transaction.atomic():
            deleted += InboundEvent.objects.filter(
                pk__in=ids, message__isnull=True, processed_at__isnull=False
            ).delete()[0]
        after = ids[-1]
    logger.info("purged %s unrouted inbound events older than %s days", deleted, older_than_days)
    return deleted


@dataclass(frozen=True)
class Requeued:
    queued: list[int]
    published: int


def requeue_stuck_outbound(*, older_than: timedelta, limit: int) -> Requeued:
    """Publish the delivery task again for queued messages stuck longer than `older_than`.
    Never a message in any other state: `unknown` ones may have gone out (see the command's
    help). PublishFailed (operations.tasks) when the broker stopped taking them."""
    ids = list(
        queries.stuck_queued(older_than)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    published = publish_deliveries(ids)
    logger.info("requeued %s of %s stuck outbound messages", published, len(ids))
    return Requeued(ids, published)
