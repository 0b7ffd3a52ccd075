"""Uploaded CSVs, their preview rows and error reports hold customers' data outside the
contacts: they are removed CONTACT_IMPORT_RETENTION_DAYS after the import, or after an upload
that was never imported; the import's counts stay."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from contacts.csv_import.models import ContactImport, ContactImportError, ImportStatus
from contacts.csv_import.retention import purge_import_files
from tests import test_contact_import_flow as flow
from tests.contact_import_helpers import (  # noqa: F401 - the fixture
    _storage_in_memory,
    csv_bytes,
    uploaded,
)
from tests.test_contact_import_flow import dry_run, start


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    flow.capture = django_capture_on_commit_callbacks


@pytest.fixture
def manager_client(client_for, max_manager):
    return client_for(max_manager)


ROWS = [["E-Mail", "Vorname"], ["good@example.org", "Anna"], ["not-an-address", "Bernd"]]


def _age(contact_import: ContactImport, days: int) -> None:
    past = timezone.now() - timedelta(days=days)
    ContactImport.objects.filter(pk=contact_import.pk).update(created_at=past, finished_at=past)


def test_a_finished_import_loses_its_file_preview_and_errors_after_the_retention_time(
    manager_client, django_capture_on_commit_callbacks, settings
):
    settings.CONTACT_IMPORT_RETENTION_DAYS = 7
    contact_import = uploaded(manager_client, csv_bytes(ROWS))
    contact_import = dry_run(manager_client, contact_import)
    contact_import = start(manager_client, contact_import)
    upload, report = contact_import.storage_path, contact_import.error_report_path
    assert default_storage.exists(upload) and default_storage.exists(report)

    _age(contact_import, 6)
    assert purge_import_files() == 0
    _age(contact_import, 8)
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_import_files() == 1

    contact_import.refresh_from_db()
    assert not default_storage.exists(upload)
    assert not default_storage.exists(report)
    assert contact_import.preview == [] and contact_import.header == []
    assert not ContactImportError.objects.filter(contact_import=contact_import).exists()
    assert (contact_import.created_count, contact_import.error_count) == (1, 1)  # the history
    assert contact_import.status == ImportStatus.COMPLETED
    errors = manager_client.get(reverse("contact_settings:import_errors", args=[contact_import.pk]))
    assert errors.status_code == 404
    assert purge_import_files() == 0  # nothing left to clear


def test_an_upload_never_imported_is_removed_and_marked_cancelled(
    manager_client, django_capture_on_commit_callbacks
):
    contact_import = uploaded(manager_client, csv_bytes(ROWS))
    upload = contact_import.storage_path
    _age(contact_import, 30)

    with django_capture_on_commit_callbacks(execute=True):
        assert purge_import_files() == 1

    contact_import.refresh_from_db()
    assert contact_import.status == ImportStatus.CANCELLED
    assert not default_storage.exists(upload)
    page = manager_client.get(reverse("contact_settings:import_detail", args=[contact_import.pk]))
    assert page.status_code == 200


def test_a_running_import_is_never_touched(manager_client, django_capture_on_commit_callbacks):
    contact_import = uploaded(manager_client, csv_bytes(ROWS))
    ContactImport.objects.filter(pk=contact_import.pk).update(status=ImportStatus.RUNNING)
    _age(contact_import, 30)

    assert purge_import_files() == 0
    assert default_storage.exists(contact_import.storage_path)
