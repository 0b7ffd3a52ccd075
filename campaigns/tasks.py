"""Campaign tasks: the beat's pacing tick, freezing an audience, sending a batch. They take
ids and call campaigns.delivery or campaigns.freeze; each may run twice harmlessly."""

from celery import shared_task


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
