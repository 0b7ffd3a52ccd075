"""Contact import in the background: the lease, a worker killed mid-import resuming from
its last committed chunk without counting anything twice, the sweeper, cancel, and a real
Celery worker."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountEvent
from contacts.csv_import import actions, running
from contacts.csv_import.models import ContactImport, ContactImportError
from contacts.models import Contact, Identity
from tests.contact_import_helpers import (  # noqa: F401 - the fixture
    _storage_in_memory,
    csv_bytes,
    detail_url,
    mapping_post,
    people,
    uploaded,
)


class Killed(BaseException):
    """The worker process dies: nothing after this line runs, no except Exception sees it."""


@pytest.fixture
def queued(client_for, max_manager, django_capture_on_commit_callbacks):
    """An import of 3,500 rows (every 10th e-mail broken) with its dry run done, queued,
    its task not yet run."""
    client = client_for(max_manager)
    contact_import = uploaded(client, csv_bytes(people(3500, bad_every=10)))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(detail_url(contact_import), mapping_post(contact_import))
    contact_import.refresh_from_db()
    assert contact_import.status == "dry_run_done"
    with django_capture_on_commit_callbacks(execute=False):
        assert actions.start_import(contact_import, actor=max_manager)
    contact_import.refresh_from_db()
    assert contact_import.status == "queued"
    return contact_import


def kill_on_call(monkeypatch, number):
    calls = []
    real = running.upsert_contacts

    def upsert(organisation, items, **kwargs):
        calls.append(len(items))
        if len(calls) == number:
            real(organisation, items, **kwargs)  # written, but its transaction never commits
            raise Killed
        return real(organisation, items, **kwargs)

    monkeypatch.setattr(running, "upsert_contacts", upsert)
    return calls


def test_a_worker_killed_mid_import_resumes_from_its_last_chunk(
    queued, monkeypatch, django_capture_on_commit_callbacks
):
    kill_on_call(monkeypatch, 3)
    with pytest.raises(Killed):
        running.run(queued.pk)
    queued.refresh_from_db()
    # Two chunks committed with their progress; the third rolled back with its rows.
    assert (queued.status, queued.processed_rows) == ("running", 2000)
    assert (queued.created_count, queued.error_count) == (1800, 200)
    assert Contact.objects.count() == 1800
    assert ContactImportError.objects.count() == 200
    assert queued.lease_until > timezone.now()

    # The redelivered task finds the lease held and leaves it alone…
    monkeypatch.undo()
    assert running.run(queued.pk) == "not_claimed"
    assert running.sweep() == []
    # …until the lease has run out; then the sweeper hands it out again.
    later = timezone.now() + running.LEASE + timedelta(seconds=1)
    assert running.sweep(later) == [queued.pk]
    ContactImport.objects.filter(pk=queued.pk).update(lease_until=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert running.run(queued.pk) == "completed"

    queued.refresh_from_db()
    assert queued.status == "completed"
    assert queued.processed_rows == 3500
    assert (queued.created_count, queued.updated_count, queued.error_count) == (3150, 0, 350)
    assert Contact.objects.count() == 3150
    assert Identity.objects.filter(kind="email").count() == 3150
    assert ContactImportError.objects.filter(contact_import=queued).count() == 350
    assert AccountEvent.objects.filter(kind="contact_import_completed").count() == 1


def test_a_chunk_of_a_run_that_lost_its_lease_commits_nothing(queued, monkeypatch):
    real = running.upsert_contacts

    def upsert(organisation, items, **kwargs):
        # Meanwhile another run took the import over (this one looked dead).
        ContactImport.objects.filter(pk=queued.pk).update(lease_token="someone-else")
        return real(organisation, items, **kwargs)

    monkeypatch.setattr(running, "upsert_contacts", upsert)
    assert running.run(queued.pk) == "lost"
    queued.refresh_from_db()
    assert queued.processed_rows == 0
    assert not Contact.objects.exists()


def test_a_run_stops_at_its_budget_and_enqueues_the_next(
    queued, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued = []
    monkeypatch.setattr(
        "contacts.tasks.run_contact_import.delay_on_commit", lambda pk: enqueued.append(pk)
    )
    assert running.run(queued.pk, budget=0) == "continued"
    queued.refresh_from_db()
    assert (queued.processed_rows, queued.lease_token, enqueued) == (1000, "", [queued.pk])
    assert running.run(queued.pk) == "completed"


def test_cancel_stops_after_the_chunk_in_progress(queued, monkeypatch, max_manager, client_for):
    real = running.upsert_contacts
    client = client_for(max_manager)

    def upsert(organisation, items, **kwargs):
        if ContactImport.objects.get(pk=queued.pk).processed_rows == 1000:
            response = client.post(reverse("contact_settings:import_cancel", args=[queued.pk]))
            assert response.status_code == 302
        return real(organisation, items, **kwargs)

    monkeypatch.setattr(running, "upsert_contacts", upsert)
    assert running.run(queued.pk) == "cancelled"
    queued.refresh_from_db()
    assert (queued.status, queued.processed_rows) == ("cancelled", 2000)
    assert Contact.objects.count() == 1800
    event = AccountEvent.objects.get(kind="contact_import_cancelled")
    assert event.actor == max_manager and event.data["processed"] == 2000
    assert queued.error_report_path  # the errors of the chunks done


def test_cancelling_a_queued_import_cancels_it_at_once(queued, client_for, max_manager):
    client = client_for(max_manager)
    confirm = client.get(reverse("contact_settings:import_cancel", args=[queued.pk]))
    assert confirm.status_code == 200 and b"Stop the import" in confirm.content
    client.post(reverse("contact_settings:import_cancel", args=[queued.pk]))
    queued.refresh_from_db()
    assert queued.status == "cancelled"
    assert running.run(queued.pk) == "not_claimed"
    assert not Contact.objects.exists()
    assert AccountEvent.objects.filter(kind="contact_import_cancelled", actor=max_manager).exists()
    # A finished import cannot be cancelled again.
    assert not actions.cancel_import(queued, actor=max_manager)


def test_the_progress_fragment_polls_while_running_and_stops_when_done(
    queued, client_for, max_manager, monkeypatch
):
    client = client_for(max_manager)
    ContactImport.objects.filter(pk=queued.pk).update(
        status="running", processed_rows=1000, started_at=timezone.now() - timedelta(seconds=2)
    )
    fragment = client.get(detail_url(queued), headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="import-panel"')
    assert 'hx-trigger="every 1s"' in fragment
    assert 'value="28"' in fragment and "rows/s" in fragment and "left" in fragment
    assert "Cancel import" in fragment
    ContactImport.objects.filter(pk=queued.pk).update(status="queued", processed_rows=0)
    running.run(queued.pk)
    done = client.get(detail_url(queued), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done and 'value="100"' in done
    assert "Download the error report" in done


def test_an_unexpected_error_fails_the_import_and_says_where(queued, monkeypatch):
    def upsert(organisation, items, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(running, "upsert_contacts", upsert)
    assert running.run(queued.pk) == "failed"
    queued.refresh_from_db()
    assert queued.status == "failed" and "after row 0" in queued.failure
    assert AccountEvent.objects.filter(kind="contact_import_failed").exists()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_in_the_background(celery_worker, client_for, max_manager):
    client = client_for(max_manager)
    contact_import = uploaded(client, csv_bytes(people(2200)))
    client.post(detail_url(contact_import), mapping_post(contact_import))
    deadline = time.monotonic() + 60
    while ContactImport.objects.get(pk=contact_import.pk).status != "dry_run_done":
        assert time.monotonic() < deadline, "the dry run did not finish"
        time.sleep(0.2)
    assert not Contact.objects.exists()
    client.post(reverse("contact_settings:import_start", args=[contact_import.pk]))
    while ContactImport.objects.get(pk=contact_import.pk).status != "completed":
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.2)
    contact_import.refresh_from_db()
    assert (contact_import.processed_rows, contact_import.created_count) == (2200, 2200)
    assert Contact.objects.count() == 2200
