"""Delivery, inbound and media tasks. They take ids, call inbox.delivery, inbox.inbound or
inbox.channels.twilio.media, and may run twice (DESIGN.md §6).

Each task imports the module it calls inside its body: the actions import this module to
enqueue after commit (`enqueue_delivery`, …), and inbox.inbound and the channels import the
actions — importing them here at the top would close that cycle."""

import logging
import time

from celery import shared_task

logger = logging.getLogger("switchboard.delivery")


def enqueue_delivery(message_id: int) -> None:
    """Publish the delivery task once the row is committed. A broker that is down loses
    nothing: the row stays `queued` and the sweeper publishes it later."""
    deliver_message.delay_on_commit(message_id)


def enqueue_attachment_fetch(attachment_id: int) -> None:
    """Publish the media download once the attachment row is committed; the sweeper
    publishes it again if the broker was down."""
    fetch_attachment.delay_on_commit(attachment_id)


def enqueue_inbound(event_id: int) -> None:
    """Publish the routing of a stored inbound event once it is committed; the sweeper
    publishes it again if the broker was down."""
    process_inbound.delay_on_commit(event_id)


@shared_task
def process_inbound(event_id: int) -> None:
    """Route a stored provider event into its inbox, in a batch with other events waiting (a
    burst costs one transaction per batch, not per message), then fetch their media; keep
    routing batches while events wait, for a bounded time. An event another task routes
    meanwhile is skipped, so its own task later finds nothing to do."""
    from inbox import inbound

    deadline = time.monotonic() + inbound.DRAIN_SECONDS
    first: int | None = event_id
    while True:
        routed = inbound.route_batch(first=first)
        for attachment_id in routed.attachments:
            enqueue_attachment_fetch(attachment_id)
        first = None
        if routed.claimed < inbound.BATCH or time.monotonic() > deadline:
            return


@shared_task
def deliver_message(message_id: int) -> None:
    """Send one queued message through its channel, exactly once."""
    from inbox import delivery

    outcome = delivery.send_queued(message_id)
    if outcome is not None and outcome.retry_in is not None:
        try:
            deliver_message.apply_async((message_id,), countdown=outcome.retry_in)
        except Exception:  # the broker is down: the sweeper retries when the time comes
            logger.warning("could not schedule the retry of message %s", message_id, exc_info=True)


@shared_task
def fetch_attachment(attachment_id: int) -> str:
    """Download a provider's medium into its attachment (nothing when already there)."""
    from inbox.channels.twilio import media

    return media.fetch(attachment_id).value


@shared_task
def sweep_queued_messages() -> int:
    """Every minute from beat: re-enqueue queued messages whose time has passed (the broker
    was down, or the process died between commit and enqueue), settle sends a dead worker
    left behind, and re-enqueue inbound events and media downloads still pending. Returns
    how many messages were re-enqueued."""
    from inbox import delivery, inbound
    from inbox.channels.twilio import media

    for event_id in inbound.overdue():
        process_inbound.delay(event_id)
    delivery.settle_lost_sends()
    ids = delivery.overdue_queued()
    for message_id in ids:
        deliver_message.delay(message_id)
    for attachment_id in media.overdue():
        fetch_attachment.delay(attachment_id)
    return len(ids)
