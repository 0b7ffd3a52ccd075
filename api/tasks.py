"""The API's housekeeping, on the bulk queue."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from api.idempotency import IDEMPOTENCY_HOURS
from api.models import IdempotencyRecord


@shared_task
def purge_idempotency_records() -> int:
    """Forget Idempotency-Keys older than IDEMPOTENCY_HOURS (their stored answers too).
    Idempotent: a second run finds nothing to delete."""
    cutoff = timezone.now() - timedelta(hours=IDEMPOTENCY_HOURS)
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
