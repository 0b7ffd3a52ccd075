"""Delivery of outbound messages. Tasks take ids, claim their row, and may run twice."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

SWEEP_AFTER = timedelta(minutes=2)


@shared_task
def deliver_message(message_id: int) -> None:
    """Send one queued message through its channel, exactly once.

    The conditional UPDATE queued → sending is the claim: a second run of this task (a
    redelivery after a worker died) finds nothing to claim and stops.
    """
    from inbox.channels import console
    from inbox.models import DeliveryStatus, Message

    claimed = Message.objects.filter(pk=message_id, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENDING
    )
    if not claimed:
        return
    message = Message.objects.select_related("conversation").get(pk=message_id)
    result = console.send(message)
    Message.objects.filter(pk=message_id, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.SENT,
        provider=result.provider,
        provider_message_id=result.provider_message_id,
    )


@shared_task
def sweep_queued_messages() -> int:
    """Re-enqueue messages left `queued` (the broker was down at commit, or the process died
    between commit and enqueue). Runs every minute from beat."""
    from inbox.models import DeliveryStatus, Message

    stale = Message.objects.filter(
        status=DeliveryStatus.QUEUED, created_at__lt=timezone.now() - SWEEP_AFTER
    ).values_list("pk", flat=True)[:500]
    ids = list(stale)
    for message_id in ids:
        deliver_message.delay(message_id)
    return len(ids)
