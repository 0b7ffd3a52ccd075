"""Delivery tasks. They take ids, call inbox.delivery, and may run twice (DESIGN.md §6)."""

import logging

from celery import shared_task

logger = logging.getLogger("switchboard.delivery")


def enqueue_delivery(message_id: int) -> None:
    """Publish the delivery task once the row is committed. A broker that is down loses
    nothing: the row stays `queued` and the sweeper publishes it later."""
    deliver_message.delay_on_commit(message_id)


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
def sweep_queued_messages() -> int:
    """Every minute from beat: re-enqueue queued messages whose time has passed (the broker
    was down, or the process died between commit and enqueue), and settle sends a dead
    worker left behind."""
    from inbox import delivery

    delivery.settle_lost_sends()
    ids = delivery.overdue_queued()
    for message_id in ids:
        deliver_message.delay(message_id)
    return len(ids)
