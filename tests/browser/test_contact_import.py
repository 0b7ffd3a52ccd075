"""Settings → Contacts → Import in real Chromium with a real Celery worker: a manager uploads
a CSV of 3,000 rows, checks the suggested mapping, runs the dry run, imports, watches the
progress bar move to 100 % and downloads the error report — without a console or CSP error;
the mapping screen fits a 390 px phone (its table scrolls inside its box)."""

import csv
import io
import time

import pytest
from playwright.sync_api import expect

from contacts.csv_import import running
from contacts.csv_import.models import ContactImport
from contacts.models import Contact
from tests.browser.pages import log_in
from tests.contact_import_helpers import (  # noqa: F401 - the fixture
    _storage_in_memory,
    csv_bytes,
    people,
)
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def watch_progress(page, until_status: str, budget: float = 60) -> list[int]:
    """The progress bar's values while the panel polls, until its status is `until_status`."""
    seen: list[int] = []
    deadline = time.monotonic() + budget
    # One read of the page for both values: the poll may swap the panel between two reads,
    # and a locator read of a bar that has just gone waits for it until it times out.
    read = """() => {
        const panel = document.getElementById("import-panel");
        const bar = document.getElementById("import-progress-bar");
        return [panel && panel.dataset.status, bar && bar.dataset.percent];
    }"""
    status = None
    while time.monotonic() < deadline:
        status, percent = page.evaluate(read)
        if percent is not None:
            value = int(percent or 0)
            if not seen or seen[-1] != value:
                seen.append(value)
        if status == until_status:
            return seen
        page.wait_for_timeout(150)
    raise AssertionError(f"still {status} after {budget} s: {seen}")


def test_a_manager_imports_a_csv_and_watches_the_progress_bar(
    celery_worker, live_server, max_manager, new_page, screenshot, tmp_path, monkeypatch
):
    # Slow chunks, so the bar is seen between 0 and 100 % (three chunks of 1,000 rows).
    monkeypatch.setattr(running, "chunk_pause", 1.2)
    path = tmp_path / "Kunden 2025.csv"
    path.write_bytes(csv_bytes(people(3000, bad_every=500), delimiter=";", bom=True))

    page = new_page(width=1280)
    log_in(page, max_manager.email, PASSWORD)
    page.goto("/settings/contact-imports/")
    expect(page.get_by_text("No imports yet")).to_be_visible()
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", name="Kunden 2025.csv")).to_be_visible()
    expect(page.get_by_text("3000 rows")).to_be_visible()
    expect(page.get_by_label("E-Mail", exact=True)).to_have_value("email")
    expect(page.get_by_label("Vorname", exact=True)).to_have_value("first_name")
    expect(page.get_by_label("Firma", exact=True)).to_have_value("company")
    page.get_by_label("Tags for every imported contact").fill("Messe 2025")
    screenshot(page, "contact-import-mapping")

    page.get_by_role("button", name="Run the dry run").click()
    watch_progress(page, "dry_run_done")
    dry_run = page.locator("#import-dry-run")
    expect(dry_run.locator("[data-count=created]")).to_have_text("2994")
    expect(dry_run.locator("[data-count=errors]")).to_have_text("6")
    expect(dry_run.get_by_text("First errors")).to_be_visible()
    expect(page.locator("#import-no-consent")).to_be_visible()
    assert not Contact.objects.exists()
    screenshot(page, "contact-import-dry-run")

    page.get_by_role("button", name="Import 3000 rows").click()
    seen = watch_progress(page, "completed")
    assert seen[-1] == 100
    assert any(0 < value < 100 for value in seen), seen
    assert seen == sorted(seen)
    expect(page.locator("[data-count=created]")).to_have_text("2994")
    expect(page.get_by_text("The import is complete.")).to_be_visible()
    screenshot(page, "contact-import-completed")

    with page.expect_download() as download_info:
        page.locator("#import-error-report").click()
    report = download_info.value.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(report), delimiter=";"))
    assert rows[0][0] == "Row" and rows[0][-1] == "Error"
    assert len(rows) == 7
    assert rows[1][3].startswith("'=HYPERLINK")  # spreadsheet-safe

    contact_import = ContactImport.objects.get()
    assert (contact_import.created_count, contact_import.error_count) == (2994, 6)
    assert Contact.objects.filter(tags__name="Messe 2025").count() == 2994

    page.goto("/settings/contact-imports/")
    expect(page.locator(f"#import-{contact_import.pk} [data-status]")).to_have_text("Completed")


def test_the_mapping_screen_fits_a_phone(transactional_db, live_server, ada, new_page, tmp_path):
    wide = [[f"Column with a long name {n}" for n in range(12)] + ["E-Mail"]]
    wide += [[f"value {n} of a row" for n in range(12)] + [f"p{r}@example.org"] for r in range(25)]
    path = tmp_path / "wide.csv"
    path.write_bytes(csv_bytes(wide))
    page = new_page(width=390, height=844, locale="de-DE")
    log_in(page, ada.email, PASSWORD, button="Anmelden")
    page.goto("/settings/contact-imports/")
    page.locator("#id_file").set_input_files(str(path))
    page.locator(".import-upload button[type=submit]").click()
    expect(page.locator("#import-mapping-form")).to_be_visible()
    assert fits(page)
    box = page.locator(".import-table-wrap").first
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")  # scrolls inside its box
    assert page.locator(".import-mapping tbody tr").count() == 20
