"""Background work for contacts."""

from celery import shared_task
from django.db import transaction


@shared_task
def remove_expired_ephemeral_contacts(batch_size: int = 500) -> int:
    """Delete ephemeral contacts past their expiry that have no conversations (hourly).

    Works in batches, each in its own transaction, and re-checks the filter under lock, so
    a contact that gained a conversation or was promoted meanwhile survives. Returns how
    many were removed.
    """
    from contacts.models import Contact

    removed = 0
    while True:
        with transaction.atomic():
            ids = list(
                Contact.objects.expired_ephemeral()
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return removed
            Contact.objects.expired_ephemeral().filter(pk__in=ids).delete()
            removed += len(ids)
