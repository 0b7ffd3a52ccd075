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
    from contacts.models import Contact, Identity
    from contacts.sharing import addresses_of, settle_sharing

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
            addresses = addresses_of(Identity.objects.filter(contact_id__in=ids))
            Contact.objects.expired_ephemeral().filter(pk__in=ids).delete()
            # Whoever shared an address with an expired contact keeps it, alone now.
            settle_sharing(addresses)
            removed += len(ids)


@shared_task(ignore_result=True)
def run_contact_import(import_id: int) -> str:
    """Work on a CSV import or its dry run (contacts.csv_import.running): claims it, so a
    redelivered task does nothing while another run holds it."""
    from contacts.csv_import import running

    return running.run(import_id)


@shared_task(ignore_result=True)
def sweep_contact_imports() -> int:
    """Every minute: enqueue imports whose worker died or whose task was lost."""
    from contacts.csv_import import running

    stale = running.sweep()
    for import_id in stale:
        run_contact_import.delay(import_id)
    return len(stale)


@shared_task(ignore_result=True)
def purge_contact_import_files() -> int:
    """Daily: the files, preview and error rows of imports older than
    CONTACT_IMPORT_RETENTION_DAYS (contacts.csv_import.retention)."""
    from contacts.csv_import.retention import purge_import_files

    return purge_import_files()
