"""Contact import through HTTP: mapping, dry run, import in chunks of 1,000, consent, tags,
the error report, events and the pages' query counts."""

import csv
import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from accounts.models import AccountEvent
from contacts.consent import Consent
from contacts.csv_import import running
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
from tests.factories import ContactFactory, identity

capture = None


@pytest.fixture
def manager_client(client_for, max_manager):
    return client_for(max_manager)


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    global capture
    capture = django_capture_on_commit_callbacks


def dry_run(client, contact_import, **options):
    with capture(execute=True):
        response = client.post(detail_url(contact_import), mapping_post(contact_import, **options))
    assert response.status_code == 302, response.content.decode()[:3000]
    contact_import.refresh_from_db()
    return contact_import


def start(client, contact_import, _unused=None):
    with capture(execute=True):
        response = client.post(reverse("contact_settings:import_start", args=[contact_import.pk]))
    assert response.status_code == 302
    contact_import.refresh_from_db()
    return contact_import


def test_the_mapping_screen_shows_the_header_the_first_20_rows_and_suggestions(manager_client):
    contact_import = uploaded(manager_client, csv_bytes(people(30)))
    page = manager_client.get(detail_url(contact_import)).content.decode()
    assert "First0" in page and "First19" in page and "First20" not in page
    assert '<option value="email" selected>' in page
    assert '<option value="first_name" selected>' in page
    assert "import-table-wrap" in page


def test_a_dry_run_writes_nothing_and_shows_counts_and_first_errors(
    manager_client, django_capture_on_commit_callbacks
):
    existing = ContactFactory(first_name="Old")
    identity(existing, "email", "person1@example.org")
    contact_import = uploaded(manager_client, csv_bytes(people(12, bad_every=5)))
    before = (Contact.objects.count(), Identity.objects.count())

    contact_import = dry_run(manager_client, contact_import)

    assert contact_import.status == "dry_run_done"
    assert contact_import.dry_run | {"first_errors": []} == {
        "created": 9,
        "updated": 1,
        "unchanged": 0,
        "errors": 2,
        "rows": 12,
        "first_errors": [],
    }
    assert [e["row"] for e in contact_import.dry_run["first_errors"]] == [6, 11]
    assert contact_import.dry_run["first_errors"][0]["field"] == "email"
    assert (Contact.objects.count(), Identity.objects.count()) == before
    assert not ContactImportError.objects.exists()
    existing.refresh_from_db()
    assert existing.first_name == "Old"
    page = manager_client.get(detail_url(contact_import)).content.decode()
    assert "Would create" in page and "First errors" in page
    assert 'id="import-no-consent"' in page


def test_the_import_goes_in_chunks_of_1000_and_counts_them(
    manager_client, django_capture_on_commit_callbacks, monkeypatch
):
    sizes = []
    real = running.upsert_contacts

    def counting(organisation, items, **kwargs):
        sizes.append(len(items))
        return real(organisation, items, **kwargs)

    monkeypatch.setattr(running, "upsert_contacts", counting)
    contact_import = dry_run(manager_client, uploaded(manager_client, csv_bytes(people(2500))))
    assert sizes == [1000, 1000, 500]
    sizes.clear()

    contact_import = start(manager_client, contact_import, django_capture_on_commit_callbacks)

    assert sizes == [1000, 1000, 500]
    assert contact_import.status == "completed"
    assert (contact_import.processed_rows, contact_import.created_count) == (2500, 2500)
    assert contact_import.percent == 100
    assert Contact.objects.count() == 2500
    assert Identity.objects.filter(kind="email", source="import").count() == 2500
    kinds = list(AccountEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["contact_import_started", "contact_import_completed"]
    completed = AccountEvent.objects.get(kind="contact_import_completed")
    assert completed.data["created"] == 2500 and completed.data["import_id"] == contact_import.pk


def test_tags_and_a_tags_column_are_applied(manager_client, django_capture_on_commit_callbacks):
    rows = [["E-Mail", "Tags"], ["a@example.org", "vip; hamburg"], ["b@example.org", ""]]
    contact_import = uploaded(manager_client, csv_bytes(rows))
    contact_import = dry_run(manager_client, contact_import, tags="Messe 2025, newsletter")
    start(manager_client, contact_import, django_capture_on_commit_callbacks)
    a = Contact.objects.get(identities__normalised="a@example.org")
    b = Contact.objects.get(identities__normalised="b@example.org")
    assert sorted(a.tags.values_list("name", flat=True)) == [
        "Messe 2025",
        "hamburg",
        "newsletter",
        "vip",
    ]
    assert sorted(b.tags.values_list("name", flat=True)) == ["Messe 2025", "newsletter"]


def test_consent_is_recorded_only_with_basis_and_source(
    manager_client, django_capture_on_commit_callbacks
):
    rows = [["E-Mail", "Telefon"], ["a@example.org", ""], ["", "+49 170 1234567"]]
    contact_import = uploaded(manager_client, csv_bytes(rows))
    # Ticked without basis and source: refused, nothing saved.
    refused = manager_client.post(
        detail_url(contact_import),
        mapping_post(contact_import, consented="on", consent_channel="email"),
    )
    assert refused.status_code == 422
    assert "State the basis" in refused.content.decode()
    contact_import.refresh_from_db()
    assert contact_import.status == "draft" and not contact_import.consent_basis

    contact_import = dry_run(
        manager_client,
        contact_import,
        consented="on",
        consent_channel="email",
        consent_basis="consent",
        consent_source="Newsletter sign-up form, 2025",
    )
    page = manager_client.get(detail_url(contact_import)).content.decode()
    assert "Newsletter sign-up form, 2025" in page
    start(manager_client, contact_import, django_capture_on_commit_callbacks)

    consent = Consent.objects.get()
    assert consent.identity.normalised == "a@example.org"
    assert (consent.purpose, consent.state, consent.basis, consent.source) == (
        "marketing_email",
        "granted",
        "consent",
        "import",
    )
    assert "Newsletter sign-up form, 2025" in consent.evidence
    assert "contacts.csv" in consent.evidence
    # The row with only a phone number came in without consent, not as an error.
    assert ContactImport.objects.get().error_count == 0


def test_without_the_checkbox_no_consent_is_recorded(
    manager_client, django_capture_on_commit_callbacks
):
    contact_import = uploaded(manager_client, csv_bytes([["E-Mail"], ["a@example.org"]]))
    contact_import = dry_run(
        manager_client, contact_import, consent_basis="consent", consent_source="Form"
    )
    assert contact_import.consent_basis == ""
    start(manager_client, contact_import, django_capture_on_commit_callbacks)
    assert Contact.objects.count() == 1
    assert not Consent.objects.exists()


def test_the_error_report_has_row_numbers_original_values_and_safe_cells(
    manager_client, django_capture_on_commit_callbacks
):
    rows = [
        ["E-Mail", "Vorname", "Notiz"],
        ["good@example.org", "Anna", "ok"],
        ["not-an-address", "=cmd|' /C calc'!A0", "Größe"],
        ["", "", ""],
        ["also bad", "@SUM(1)", "x"],
    ]
    contact_import = uploaded(manager_client, csv_bytes(rows, delimiter=";", encoding="latin-1"))
    contact_import = dry_run(manager_client, contact_import)
    contact_import = start(manager_client, contact_import, django_capture_on_commit_callbacks)
    assert (contact_import.created_count, contact_import.error_count) == (1, 2)
    assert default_storage.exists(contact_import.error_report_path)

    response = manager_client.get(
        reverse("contact_settings:import_errors", args=[contact_import.pk])
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    report = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert report[0] == ["Row", "E-Mail", "Vorname", "Notiz", "Error"]
    assert [line[0] for line in report[1:]] == ["3", "5"]
    assert report[1][1:4] == ["not-an-address", "'=cmd|' /C calc'!A0", "Größe"]
    assert report[2][2] == "'@SUM(1)"
    assert "e-mail" in report[1][4].lower()


def test_a_mapping_without_an_identifier_is_refused(manager_client):
    contact_import = uploaded(manager_client, csv_bytes([["Vorname"], ["Anna"]]))
    response = manager_client.post(detail_url(contact_import), mapping_post(contact_import))
    assert response.status_code == 422
    assert "Map at least one column" in response.content.decode()


def test_an_external_id_needs_its_source_system(manager_client, django_capture_on_commit_callbacks):
    rows = [["Kundennummer", "Vorname"], ["K-1", "Anna"]]
    contact_import = uploaded(manager_client, csv_bytes(rows))
    response = manager_client.post(detail_url(contact_import), mapping_post(contact_import))
    assert response.status_code == 422
    contact_import = dry_run(manager_client, contact_import, source_system="shop")
    start(manager_client, contact_import, django_capture_on_commit_callbacks)
    assert Identity.objects.get(kind="external_id").contact.first_name == "Anna"


def test_the_import_needs_a_dry_run_of_its_mapping(
    manager_client, django_capture_on_commit_callbacks
):
    contact_import = uploaded(manager_client, csv_bytes([["E-Mail"], ["a@example.org"]]))
    start(manager_client, contact_import, django_capture_on_commit_callbacks)
    assert contact_import.status == "draft"
    assert not Contact.objects.exists()


def test_the_list_shows_past_imports_and_an_empty_state(
    manager_client, django_capture_on_commit_callbacks, django_assert_num_queries
):
    empty = manager_client.get(reverse("contact_settings:imports")).content.decode()
    assert "No imports yet" in empty
    for n in range(3):
        uploaded(manager_client, csv_bytes([["E-Mail"], [f"a{n}@example.org"]]), f"file{n}.csv")
    manager_client.get(reverse("contact_settings:imports"))  # warm the session and caches
    with django_assert_num_queries(2):
        page = manager_client.get(reverse("contact_settings:imports")).content.decode()
    for n in range(3):
        uploaded(manager_client, csv_bytes([["E-Mail"], [f"b{n}@example.org"]]), f"more{n}.csv")
    with django_assert_num_queries(2):
        page = manager_client.get(reverse("contact_settings:imports")).content.decode()
    assert "file0.csv" in page and "more2.csv" in page and "Max Manager" in page


def test_the_import_page_has_a_fixed_number_of_queries(manager_client, django_assert_num_queries):
    contact_import = uploaded(manager_client, csv_bytes(people(25)))
    manager_client.get(detail_url(contact_import))
    with django_assert_num_queries(2):
        manager_client.get(detail_url(contact_import))
