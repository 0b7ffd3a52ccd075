"""How long the outbox keeps what it sent, and what an erasure takes out of it.

Events are kept WEBHOOKS_RETENTION_DAYS (the delivery log and replays need them; every
retry is over within about three days), then deleted with their deliveries by a nightly
task — except events with a delivery still to come. Erasing a contact (deleting or
anonymising it) empties the personal part of every event about them at once, sent or not.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent

BATCH = 5000


def purge_old_events(now: Any = None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOKS_RETENTION_DAYS)
    open_deliveries = WebhookDelivery.objects.filter(
        event=OuterRef("pk"),
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.DELIVERING, DeliveryStatus.FAILED],
    )
    removed = 0
    while True:
        ids = list(
            WebhookEvent.objects.filter(created_at__lt=cutoff)
            .exclude(Exists(open_deliveries))
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return removed
        WebhookDelivery.objects.filter(event_id__in=ids).delete()
        WebhookEvent.objects.filter(pk__in=ids).delete()
        removed += len(ids)


@contextmanager
def forget_contact(contact: Any, purpose: str) -> Iterator[None]:
    """contacts.erasure hook: the events about `contact` keep only their public part."""
    contact_id = contact.pk  # gone from the instance once it is deleted
    yield
    WebhookEvent.objects.filter(contact_id=contact_id).update(personal={}, contact_id=None)
