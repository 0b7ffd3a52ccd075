"""The worker's side of an import (and of a dry run): claim, chunks of 1,000, finish.

- `claim` takes the import with a conditional UPDATE (working status, no live lease) and a
  token of its own; a redelivered task or a second worker finds the lease held and leaves.
- Each chunk is one transaction: the upsert (contacts.upsert, dry_run for the dry run), the
  chunk's error rows, and the progress UPDATE, which only succeeds while the token still holds
  the lease and `processed_rows` is where this worker started the chunk. A worker killed
  mid-chunk commits nothing of it; the next run skips the committed rows and does the chunk
  again — so no row is counted twice and none is lost.
- A run stops after RUN_BUDGET seconds (well inside Celery's time limit), releases its lease
  and enqueues the next run. Runs whose worker died are re-enqueued by `sweep` (beat) once
  their lease has run out.
- The stored file is streamed (contacts.csv_import.reading); only one chunk of rows is in
  memory at a time.
"""

import csv
import io
import itertools
import logging
import secrets
import tempfile
import time
from datetime import timedelta
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import AccountEvent, Organisation
from contacts.consent import ConsentSource, ConsentState
from contacts.csv_import import reading
from contacts.csv_import.actions import finish_cancelled_event, record_event
from contacts.csv_import.mapping import item_for
from contacts.csv_import.models import (
    WORKING,
    ContactImport,
    ContactImportError,
    ImportStatus,
)
from contacts.provenance import Writer
from contacts.upsert import BatchConflict, ConsentInput, upsert_contacts
from lib.text import spreadsheet_safe

logger = logging.getLogger("switchboard.contacts")

CHUNK = 1_000
LEASE = timedelta(minutes=2)
RUN_BUDGET = 120.0
FIRST_ERRORS = 20
CONFLICT_RETRIES = 2
# Tests and the browser test slow the chunks down to watch the progress bar move.
chunk_pause = 0.0


class LeaseLost(Exception):
    """Another run holds the import now (this one was too slow, or the import was reset)."""


def claim(import_id: int) -> str | None:
    """The token of a new lease on the import, or None when it is not working or another
    run holds it. A queued import becomes running."""
    now = timezone.now()
    token = secrets.token_hex(16)
    claimed = (
        ContactImport.objects.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(pk=import_id, status__in=WORKING)
        .update(
            lease_token=token,
            lease_until=now + LEASE,
            status=Case(
                When(status=ImportStatus.QUEUED, then=Value(ImportStatus.RUNNING)),
                default=F("status"),
            ),
            started_at=Coalesce(F("started_at"), Value(now)),
            updated_at=now,
        )
    )
    return token if claimed else None


def release(import_id: int, token: str) -> bool:
    return bool(
        ContactImport.objects.filter(pk=import_id, lease_token=token).update(
            lease_token="", lease_until=None
        )
    )


def run(import_id: int, *, budget: float = RUN_BUDGET) -> str:
    """Work on the import until it is done, cancelled or the budget is spent. Returns what
    happened: "not_claimed", "continued", "completed", "dry_run_done", "cancelled",
    "failed" or "lost"."""
    token = claim(import_id)
    if token is None:
        return "not_claimed"
    contact_import = ContactImport.objects.select_related("created_by").get(pk=import_id)
    deadline = time.monotonic() + budget
    try:
        outcome = _run_chunks(contact_import, token, deadline)
    except LeaseLost:
        return "lost"
    except Exception:
        logger.exception("contact import %s failed", import_id)
        _fail(contact_import, token)
        return "failed"
    if outcome == "continued":
        if release(import_id, token):
            from contacts import tasks

            tasks.run_contact_import.delay_on_commit(import_id)
        return outcome
    return _finish(contact_import, token, cancelled=outcome == "cancelled")


def _run_chunks(contact_import: ContactImport, token: str, deadline: float) -> str:
    with reading.stored_rows(
        contact_import.storage_path,
        encoding=contact_import.encoding,
        delimiter=contact_import.delimiter,
    ) as rows:
        rows = itertools.islice(rows, contact_import.processed_rows, None)
        while chunk := list(itertools.islice(rows, CHUNK)):
            cancel = _commit_chunk(contact_import, token, chunk)
            if cancel and contact_import.processed_rows < contact_import.total_rows:
                return "cancelled"
            if chunk_pause:
                time.sleep(chunk_pause)
            if time.monotonic() > deadline:
                return "continued"
    return "done"


def _consent(contact_import: ContactImport) -> Any:
    """The consent every row states, or None: without a basis and a source, none."""
    if not (
        contact_import.consent_channel
        and contact_import.consent_basis
        and contact_import.consent_source.strip()
    ):
        return None
    return ConsentInput(
        channel=contact_import.consent_channel,
        state=ConsentState.GRANTED,
        basis=contact_import.consent_basis,
        source=ConsentSource.IMPORT,
        evidence=_("%(source)s (CSV import “%(file)s”, %(date)s)")
        % {
            "source": contact_import.consent_source.strip(),
            "file": contact_import.file_name,
            "date": contact_import.created_at.date().isoformat(),
        },
    )


def _message(errors: dict[str, list[str]], candidates: list[int]) -> str:
    parts = [
        f"{field}: {' '.join(messages)}" if field and field != "__all__" else " ".join(messages)
        for field, messages in errors.items()
    ]
    if candidates:
        parts.append(
            _("matches contacts %(ids)s")
            % {"ids": ", ".join(f"#{candidate}" for candidate in candidates)}
        )
    return "; ".join(parts) or _("Not imported.")


def _upsert(contact_import: ContactImport, items: list[Any], *, dry: bool) -> list[Any]:
    """The upsert of one chunk. A concurrent writer that stored one of the chunk's addresses
    first makes the engine refuse the whole batch (BatchConflict, nothing written); the
    chunk is simply tried again, when the address matches the contact now there."""
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            with transaction.atomic():
                return upsert_contacts(
                    Organisation.load(),
                    items,
                    actor=contact_import.created_by,
                    writer=Writer.IMPORT,
                    source=contact_import.file_name,
                    dry_run=dry,
                )
        except BatchConflict:
            if attempt == CONFLICT_RETRIES:
                raise
    raise AssertionError("unreachable")


def _shown_error(number: int, result: Any) -> dict[str, Any]:
    """One of the dry run's first errors, as its page shows it: row, fields, message."""
    messages = [message for found in result.errors.values() for message in found]
    return {
        "row": number,
        "field": ", ".join(name for name in result.errors if name != "__all__"),
        "message": _message({"": messages}, result.candidates),
    }


def _commit_chunk(
    contact_import: ContactImport, token: str, chunk: list[tuple[int, list[str]]]
) -> bool:
    """Upsert one chunk and record its progress, all or nothing. Returns True when the user
    has asked to cancel."""
    dry = contact_import.status == ImportStatus.DRY_RUNNING
    start = contact_import.processed_rows
    consent = _consent(contact_import)
    cells = {number: values for number, values in chunk}
    items = [item_for(number, values, contact_import, consent) for number, values in chunk]
    counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
    failed: list[ContactImportError] = []
    first: list[dict[str, Any]] = []
    with transaction.atomic(), override(_language(contact_import)):
        results = _upsert(contact_import, items, dry=dry)
        for result in results:
            counts[result.status] = counts.get(result.status, 0) + 1
            if result.status == "error":
                number = int(result.ref)
                first.append(_shown_error(number, result))
                failed.append(
                    ContactImportError(
                        contact_import=contact_import,
                        row_number=number,
                        values=cells.get(number, []),
                        message=_message(result.errors, result.candidates)[:2000],
                    )
                )
        progress: dict[str, Any] = {
            "processed_rows": F("processed_rows") + len(chunk),
            "created_count": F("created_count") + counts["created"],
            "updated_count": F("updated_count") + counts["updated"],
            "unchanged_count": F("unchanged_count") + counts["unchanged"],
            "error_count": F("error_count") + counts["error"],
            "lease_until": timezone.now() + LEASE,
            "updated_at": timezone.now(),
        }
        if dry:
            shown = list(contact_import.dry_run.get("first_errors", []))
            shown += first[: max(0, FIRST_ERRORS - len(shown))]
            contact_import.dry_run = {**contact_import.dry_run, "first_errors": shown}
            progress["dry_run"] = contact_import.dry_run
        else:
            ContactImportError.objects.bulk_create(failed, ignore_conflicts=True)
        moved = ContactImport.objects.filter(
            pk=contact_import.pk,
            lease_token=token,
            processed_rows=start,
            status=contact_import.status,
        ).update(**progress)
        if not moved:
            raise LeaseLost
    contact_import.processed_rows = start + len(chunk)
    return bool(ContactImport.objects.filter(pk=contact_import.pk, cancel_requested=True).exists())


def _language(contact_import: ContactImport) -> str:
    """Error messages in the importer's language (they read the report)."""
    user = contact_import.created_by
    return user.language if user is not None else "en"


def _finish(contact_import: ContactImport, token: str, *, cancelled: bool) -> str:
    current = ContactImport.objects.get(pk=contact_import.pk)
    if current.status == ImportStatus.DRY_RUNNING:
        return _finish_dry_run(current, token)
    report = "" if not current.error_count else _write_error_report(current)
    now = timezone.now()
    status = ImportStatus.CANCELLED if cancelled else ImportStatus.COMPLETED
    with transaction.atomic():
        finished = ContactImport.objects.filter(pk=current.pk, lease_token=token).update(
            status=status,
            error_report_path=report,
            finished_at=now,
            lease_token="",
            lease_until=None,
            updated_at=now,
        )
        if not finished:
            return "lost"
        if cancelled:
            finish_cancelled_event(current.pk)
        else:
            record_event(
                current,
                AccountEvent.Kind.CONTACT_IMPORT_COMPLETED,
                current.created_by,
                created=current.created_count,
                updated=current.updated_count,
                unchanged=current.unchanged_count,
                errors=current.error_count,
            )
    logger.info("contact import %s %s", current.pk, status)
    return str(status)


def _finish_dry_run(current: ContactImport, token: str) -> str:
    summary = {
        **current.dry_run,
        "created": current.created_count,
        "updated": current.updated_count,
        "unchanged": current.unchanged_count,
        "errors": current.error_count,
        "rows": current.processed_rows,
    }
    ContactImport.objects.filter(pk=current.pk, lease_token=token).update(
        status=ImportStatus.DRY_RUN_DONE,
        dry_run=summary,
        processed_rows=0,
        created_count=0,
        updated_count=0,
        unchanged_count=0,
        error_count=0,
        started_at=None,
        lease_token="",
        lease_until=None,
        updated_at=timezone.now(),
    )
    return "dry_run_done"


def _fail(contact_import: ContactImport, token: str) -> None:
    current = ContactImport.objects.get(pk=contact_import.pk)
    with transaction.atomic():
        failed = ContactImport.objects.filter(pk=current.pk, lease_token=token).update(
            status=ImportStatus.FAILED,
            failure=_("The import stopped after row %(rows)s with an internal error.")
            % {"rows": current.processed_rows},
            finished_at=timezone.now(),
            lease_token="",
            lease_until=None,
        )
        if failed and current.status != ImportStatus.DRY_RUNNING:
            record_event(
                current,
                AccountEvent.Kind.CONTACT_IMPORT_FAILED,
                current.created_by,
                processed=current.processed_rows,
            )


def error_report_name(contact_import: ContactImport) -> str:
    return f"imports/{contact_import.organisation_id}/{contact_import.uuid}-errors.csv"


def _write_error_report(contact_import: ContactImport) -> str:
    """The rows that failed as a CSV in storage: the original row number, the original
    cells and the error, every cell spreadsheet-safe. Written through a temporary file that
    spills to disk past 4 MB, read from the database in batches."""
    name = error_report_name(contact_import)
    with override(_language(contact_import)):
        header = [_("Row"), *contact_import.header, _("Error")]
    width = len(contact_import.header)
    with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
        writer = csv.writer(text, delimiter=contact_import.delimiter)
        writer.writerow([spreadsheet_safe(cell) for cell in header])
        errors = ContactImportError.objects.filter(contact_import=contact_import).order_by(
            "row_number"
        )
        for error in errors.iterator(chunk_size=2_000):
            cells = (list(error.values) + [""] * width)[:width]
            writer.writerow(
                [spreadsheet_safe(value) for value in [error.row_number, *cells, error.message]]
            )
        text.flush()
        text.detach()
        spool.seek(0)
        # A rerun after a killed worker writes the same name again.
        if default_storage.exists(name):
            default_storage.delete(name)
        return default_storage.save(name, File(spool, name=name))


def sweep(now: Any = None) -> list[int]:
    """Imports whose run stopped without finishing — the worker died (the lease ran out) or
    the broker lost the task of a queued one — are enqueued again. Returns their ids."""
    now = now or timezone.now()
    stale = list(
        ContactImport.objects.filter(status__in=WORKING)
        .filter(Q(lease_until__lt=now) | Q(lease_until__isnull=True, updated_at__lt=now - LEASE))
        .values_list("pk", flat=True)[:100]
    )
    return stale
