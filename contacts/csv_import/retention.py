"""Uploaded CSV files, their preview rows and error reports hold customers' names, numbers and
addresses — outside the contacts, so a contact's erasure cannot reach them. They are kept only
while they are useful: CONTACT_IMPORT_RETENTION_DAYS (7) after an import finished, or after an
upload that was never imported. The import's row stays with its counts, for the history."""

import contextlib
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contacts.csv_import.models import FINISHED, ContactImport, ContactImportError, ImportStatus

# Uploads that were mapped or dry-run but never imported count as abandoned after the same time.
ABANDONED = (ImportStatus.DRAFT, ImportStatus.DRY_RUN_DONE)


def _delete(path: str) -> None:
    if path:
        with contextlib.suppress(OSError):  # already gone
            default_storage.delete(path)


def _delete_all(paths: list[str]) -> None:
    for path in paths:
        _delete(path)


def purge_import_files(*, days: int | None = None, batch_size: int = 200) -> int:
    """Remove the files, preview rows and error rows of finished or abandoned imports older
    than `days`; returns how many imports were cleared."""
    keep = days if days is not None else settings.CONTACT_IMPORT_RETENTION_DAYS
    cutoff = timezone.now() - timedelta(days=keep)
    due = ContactImport.objects.filter(
        Q(status__in=FINISHED, finished_at__lt=cutoff)
        | Q(status__in=ABANDONED, created_at__lt=cutoff)
    ).exclude(storage_path="", error_report_path="", preview=[])
    cleared = 0
    while True:
        with transaction.atomic():
            batch = list(
                due.select_for_update(skip_locked=True).only(
                    "id", "status", "storage_path", "error_report_path"
                )[:batch_size]
            )
            if not batch:
                return cleared
            files: list[str] = []
            for contact_import in batch:
                files += [contact_import.storage_path, contact_import.error_report_path]
                update: dict[str, Any] = {
                    "storage_path": "",
                    "error_report_path": "",
                    "preview": [],
                    "header": [],
                    "dry_run": {},
                }
                if contact_import.status in ABANDONED:
                    update |= {"status": ImportStatus.CANCELLED, "finished_at": timezone.now()}
                ContactImport.objects.filter(pk=contact_import.pk).update(**update)
            ContactImportError.objects.filter(contact_import__in=batch).delete()
            transaction.on_commit(partial(_delete_all, files))
            cleared += len(batch)
