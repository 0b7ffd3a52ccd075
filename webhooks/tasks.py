"""Webhook tasks, on the webhooks queue (config/queues.py) except the admins' e-mail, which
goes with the other e-mails on the send queue. They take ids, call webhooks.delivery, and
may run twice: every delivery is claimed before it is posted."""

import logging

from celery import shared_task

logger = logging.getLogger("switchboard.webhooks")


def publish_dispatch() -> None:
    """The nudge after a commit that wrote events. A broker that is down loses nothing: the
    rows are committed and the beat's next tick dispatches them."""
    try:
        dispatch.delay()
    except Exception:
        logger.warning("webhook dispatch not published; the tick will take the rows", exc_info=True)


def publish_batch(delivery_ids: list[int]) -> None:
    """Hand leased rows to a worker. Lost here (the broker is down), they are due again when
    their hand-off lease runs out."""
    try:
        deliver_batch.delay(delivery_ids)
    except Exception:
        logger.warning("webhook batch not published; due again after the lease", exc_info=True)


@shared_task(ignore_result=True)
def tick() -> int:
    from webhooks import delivery

    return delivery.dispatch()


@shared_task(ignore_result=True, expires=30)
def dispatch() -> int:
    from webhooks import delivery

    return delivery.dispatch()


@shared_task(ignore_result=True)
def deliver_batch(delivery_ids: list[int]) -> dict[str, int]:
    from webhooks import delivery

    return delivery.deliver_batch(delivery_ids)


@shared_task(ignore_result=True)
def send_disabled_notice(endpoint_id: int) -> int:
    from webhooks import notices

    return notices.send_disabled_notice(endpoint_id)


@shared_task(ignore_result=True)
def purge_old_events() -> int:
    from webhooks import retention

    return retention.purge_old_events()
