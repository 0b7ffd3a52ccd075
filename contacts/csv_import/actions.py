"""What users do with an import: upload, map, dry run, start, cancel.

Each action is one transaction and leaves an AccountEvent where the organisation's data
changes (started, cancelled; the worker writes completed and failed). The work itself
happens in contacts.csv_import.running, started on commit.
"""

import uuid
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccountEvent, Organisation
from contacts.csv_import import reading
from contacts.csv_import.models import ContactImport, ImportStatus
from lib.errors import ActionRefused

MAPPABLE = (ImportStatus.DRAFT, ImportStatus.DRY_RUN_DONE)


def record_event(contact_import: ContactImport, kind: str, actor: Any, **data: Any) -> None:
    AccountEvent.objects.create(
        kind=kind,
        actor=actor,
        data={
            "import_id": contact_import.pk,
            "file_name": contact_import.file_name,
            **data,
        },
    )


def upload_import(*, upload: Any, actor: Any) -> ContactImport:
    """Check an uploaded CSV file (reading.inspect_upload: ValidationError when it cannot
    be imported), store it through default_storage under imports/<org>/<uuid>.csv and
    create a draft import. The file is stored before the row exists; a file whose row never
    commits is an orphan in storage, never an import without its file."""
    facts = reading.inspect_upload(upload)
    organisation = Organisation.load()
    key = uuid.uuid4()
    upload.seek(0)
    path = default_storage.save(f"imports/{organisation.pk}/{key}.csv", upload)
    return ContactImport.objects.create(
        organisation_id=organisation.pk,
        created_by=actor,
        uuid=key,
        file_name=(upload.name or "contacts.csv")[:255],
        file_size=upload.size,
        storage_path=path,
        encoding=facts.encoding,
        delimiter=facts.delimiter,
        header=facts.header,
        preview=facts.preview,
        total_rows=facts.total_rows,
    )


@transaction.atomic
def save_mapping(
    contact_import: ContactImport,
    *,
    mapping: list[str],
    source_system: str,
    tags: list[str],
    consent_channel: str,
    consent_basis: str,
    consent_source: str,
) -> None:
    """Store the column mapping and the import's options (the form has checked them). A
    changed mapping makes the last dry run stale: back to draft. Raises ActionRefused once
    the import has started."""
    locked = ContactImport.objects.select_for_update().get(pk=contact_import.pk)
    if locked.status not in MAPPABLE:
        raise ActionRefused(_("This import has started; its mapping can no longer change."))
    values = {
        "mapping": mapping,
        "source_system": source_system,
        "tags": tags,
        "consent_channel": consent_channel,
        "consent_basis": consent_basis,
        "consent_source": consent_source,
    }
    changed = any(getattr(locked, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(contact_import, name, value)
    fields = list(values)
    if changed and locked.status == ImportStatus.DRY_RUN_DONE:
        contact_import.status = ImportStatus.DRAFT
        contact_import.dry_run = {}
        fields += ["status", "dry_run"]
    contact_import.save(update_fields=[*fields, "updated_at"])


def _reset_progress() -> dict[str, Any]:
    return {
        "processed_rows": 0,
        "created_count": 0,
        "updated_count": 0,
        "unchanged_count": 0,
        "error_count": 0,
        "lease_token": "",
        "lease_until": None,
        "started_at": None,
        "finished_at": None,
        "cancel_requested": False,
    }


@transaction.atomic
def start_dry_run(contact_import: ContactImport, *, actor: Any, enqueue: bool = True) -> bool:
    """Run the upsert over the whole file with dry_run=True (writes no contact): the counts
    and first errors land in `dry_run`. Returns False, changing nothing, unless the import
    is a mapped draft or a finished dry run. With `enqueue` false the caller runs it
    (running.run) itself; a lost task is enqueued again by the sweeper anyway."""
    started = ContactImport.objects.filter(pk=contact_import.pk, status__in=MAPPABLE).update(
        status=ImportStatus.DRY_RUNNING, dry_run={}, updated_at=timezone.now(), **_reset_progress()
    )
    if started and enqueue:
        from contacts import tasks

        tasks.run_contact_import.delay_on_commit(contact_import.pk)
    return bool(started)


@transaction.atomic
def start_import(contact_import: ContactImport, *, actor: Any) -> bool:
    """Queue the import for the bulk workers. Needs a finished dry run of this mapping (the
    counts the user saw); returns False, changing nothing, otherwise."""
    started = ContactImport.objects.filter(
        pk=contact_import.pk, status=ImportStatus.DRY_RUN_DONE
    ).update(status=ImportStatus.QUEUED, updated_at=timezone.now(), **_reset_progress())
    if not started:
        return False
    record_event(
        contact_import,
        AccountEvent.Kind.CONTACT_IMPORT_STARTED,
        actor,
        rows=contact_import.total_rows,
    )
    from contacts import tasks

    tasks.run_contact_import.delay_on_commit(contact_import.pk)
    return True


@transaction.atomic
def cancel_import(contact_import: ContactImport, *, actor: Any) -> bool:
    """Stop the import after the chunk in progress; what was imported stays. An import no
    worker holds yet is cancelled at once (with its event); a running one is asked to stop
    and its worker records the cancellation. Returns False when it has finished already."""
    now = timezone.now()
    asked = ContactImport.objects.filter(
        pk=contact_import.pk, status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING)
    ).update(cancel_requested=True, cancelled_by=actor, updated_at=now)
    if not asked:
        return False
    unclaimed = ContactImport.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        pk=contact_import.pk,
        status=ImportStatus.QUEUED,
    ).update(status=ImportStatus.CANCELLED, finished_at=now, lease_token="", lease_until=None)
    if unclaimed:
        finish_cancelled_event(contact_import.pk, actor=actor)
    return True


def finish_cancelled_event(import_id: int, *, actor: Any = None) -> None:
    """The cancelled event, written in the transaction that set the status (the worker's
    or cancel_import's); the actor is who asked for the cancellation."""
    contact_import = ContactImport.objects.select_related("cancelled_by").get(pk=import_id)
    record_event(
        contact_import,
        AccountEvent.Kind.CONTACT_IMPORT_CANCELLED,
        actor or contact_import.cancelled_by,
        processed=contact_import.processed_rows,
        created=contact_import.created_count,
        updated=contact_import.updated_count,
    )
