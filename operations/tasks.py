"""Operator housekeeping: the beat's purge of unrouted inbound events, and publishing stuck
outbound messages again for `manage.py requeue_outbound`. Routed to the bulk queue."""

import logging

from celery import shared_task
from django.conf import settings

logger = logging.getLogger("switchboard.operations")


@shared_task
def purge_unrouted_inbound_events() -> int:
    """Daily from beat: delete inbound events no inbox took, after
    UNROUTED_INBOUND_RETENTION_DAYS — they hold a customer's number and text."""
    from operations.actions import purge_unrouted_inbound_events as purge

    return purge(older_than_days=settings.UNROUTED_INBOUND_RETENTION_DAYS)


class PublishFailed(Exception):
    """The broker refused a publication after `published` had gone."""

    def __init__(self, published: int, error: Exception) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.published = published
        self.error = error


def publish_deliveries(message_ids: list[int]) -> int:
    """Publish inbox's delivery task for each id, now (the rows are committed long since).
    Each task claims its row, so one already on its way sends once. Returns how many were
    published; PublishFailed when the broker stopped taking them."""
    from inbox.tasks import deliver_message

    published = 0
    for message_id in message_ids:
        try:
            deliver_message.apply_async((message_id,), retry=False)
        except Exception as exc:  # kombu's OperationalError, a refused connection, …
            raise PublishFailed(published, exc) from exc
        published += 1
    return published
