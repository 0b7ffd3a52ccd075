"""The import of one CSV file and the rows it could not import.

`ContactImport` is the record: what was uploaded (the stored file, its encoding and
delimiter), how its columns map, and how far the dry run and the import got. Progress is
written in the same transaction as each chunk's upsert (contacts.csv_import.running), so a
worker killed mid-import resumes after the last committed chunk and no count doubles.
"""

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Role


class ImportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    DRY_RUNNING = "dry_running", _("Dry run in progress")
    DRY_RUN_DONE = "dry_run_done", _("Dry run done")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


# A worker works on an import only in these states; the others are where it stops.
WORKING = (ImportStatus.DRY_RUNNING, ImportStatus.QUEUED, ImportStatus.RUNNING)
FINISHED = (ImportStatus.COMPLETED, ImportStatus.CANCELLED, ImportStatus.FAILED)


def may_import(user: Any) -> bool:
    """Admins and managers import contacts; agents do not."""
    return bool(user.is_authenticated and user.role in (Role.ADMIN, Role.MANAGER))


class ContactImportQuerySet(models.QuerySet["ContactImport"]):
    def visible_to(self, user: Any) -> "ContactImportQuerySet":
        """The imports `user` may see: their organisation's, for admins and managers."""
        if not may_import(user):
            return self.none()
        return self.filter(organisation_id=Organisation.SINGLETON_ID)

    def newest_first(self) -> "ContactImportQuerySet":
        return self.order_by("-created_at", "-id")


class ContactImport(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="contact_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file_name = models.CharField(_("file name"), max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    storage_path = models.CharField(max_length=500)
    encoding = models.CharField(max_length=16)
    delimiter = models.CharField(max_length=1)
    header = models.JSONField(default=list)
    # The first rows (reading.PREVIEW_ROWS, cells cut short) for the mapping screen.
    preview = models.JSONField(default=list)
    # One target per column, in column order (contacts.csv_import.mapping): "first_name",
    # "email", "attr:<key>", "tags", "ignore", …
    mapping = models.JSONField(default=list, blank=True)
    source_system = models.CharField(_("source system"), max_length=100, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # The channel the marketing consent is for (email, sms, whatsapp; contacts.upsert).
    consent_channel = models.CharField(max_length=16, blank=True)
    consent_basis = models.CharField(max_length=32, blank=True)
    consent_source = models.CharField(_("consent source"), max_length=300, blank=True)

    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.DRAFT
    )
    # Data rows (the header not counted), counted while the upload was streamed.
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # The dry run's outcome: {"created", "updated", "unchanged", "errors", "first_errors"}.
    dry_run = models.JSONField(default=dict, blank=True)
    error_report_path = models.CharField(max_length=500, blank=True)
    failure = models.CharField(max_length=500, blank=True)
    cancel_requested = models.BooleanField(default=False)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The worker's claim: who holds the import (a random token per run) until when.
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[ContactImportQuerySet] = ContactImportQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="contactimport_recent_idx"),
            models.Index(fields=["status", "lease_until"], name="contactimport_work_idx"),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def encoding_label(self) -> str:
        labels = {"utf-8": "UTF-8", "utf-8-sig": _("UTF-8 with BOM"), "latin-1": "Latin-1"}
        return str(labels.get(self.encoding, self.encoding))

    @property
    def is_working(self) -> bool:
        return self.status in WORKING

    @property
    def is_dry_running(self) -> bool:
        return self.status == ImportStatus.DRY_RUNNING

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.is_finished or self.status == ImportStatus.DRY_RUN_DONE else 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def rows_per_second(self) -> float | None:
        if not self.started_at or not self.processed_rows:
            return None
        end = self.finished_at or timezone.now()
        seconds = (end - self.started_at).total_seconds()
        return self.processed_rows / seconds if seconds > 0 else None

    @property
    def seconds_left(self) -> int | None:
        rate = self.rows_per_second
        if rate is None or self.is_finished:
            return None
        return int((self.total_rows - self.processed_rows) / rate)


class ContactImportError(models.Model):
    """A row the import could not take, for the error report: written in its chunk's
    transaction, so a chunk that is done again after a killed worker writes none twice."""

    contact_import = models.ForeignKey(ContactImport, on_delete=models.CASCADE, related_name="+")
    # The row's line in the file as a spreadsheet numbers it (the header is row 1).
    row_number = models.PositiveIntegerField()
    values = models.JSONField(default=list)
    message = models.TextField()

    class Meta:
        ordering = ["row_number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact_import", "row_number"], name="contactimporterror_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.row_number}: {self.message[:50]}"
