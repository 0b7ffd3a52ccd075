"""Campaign tasks: the beat's pacing tick, freezing an audience, sending a batch. They take
ids and call campaigns.delivery or campaigns.freeze; each may run twice harmlessly."""

from celery import shared_task


def enqueue_send_batch(recipient_ids: list[int]) -> None:
    """Publish a batch the tick leased. A broker that is down loses nothing: the lease runs
    out and a later tick hands the rows out again."""
    send_batch.delay(recipient_ids)


def enqueue_freeze(campaign_id: int) -> None:
    """Publish the (re)freeze of a launched campaign whose freeze stopped (its worker died);
    freezing twice adds nothing twice."""
    freeze_campaign.delay(campaign_id)


@shared_task(ignore_result=True)
def tick() -> int:
    from campaigns import delivery

    return delivery.tick()


@shared_task(ignore_result=True)
def freeze_campaign(campaign_id: int) -> int:
    from campaigns import freeze

    return freeze.freeze(campaign_id)


@shared_task(ignore_result=True)
def send_batch(recipient_ids: list[int]) -> dict[str, int]:
    from campaigns import delivery

    return delivery.send_batch(recipient_ids)
