"""Merging two contacts through the UI in real Chromium, then undoing it."""

import pytest

from contacts.actions import add_note
from contacts.models import Contact, Identity
from tests.browser.pages import log_in
from tests.factories import PASSWORD, ContactFactory, identity

pytestmark = [pytest.mark.browser]


def test_a_manager_finds_a_duplicate_merges_it_and_undoes_the_merge(
    transactional_db, max_manager, new_page, screenshot
):
    jana = ContactFactory(kind="curated", first_name="Jana", last_name="Müller", company="")
    identity(jana, "phone", "+49 170 1234567")
    duplicate = ContactFactory(
        kind="identified", first_name="J.", last_name="Müller", company="Bäckerei Müller"
    )
    identity(duplicate, "email", "j.mueller@example.com")
    add_note(duplicate, body="Asked for an invoice copy.", author=max_manager)
    page = new_page()
    log_in(page, max_manager.email, PASSWORD)

    page.goto(f"/contacts/{jana.pk}/")
    page.get_by_role("link", name="Identities").click()
    page.get_by_role("searchbox", name="Search other contacts").fill("müller")
    page.get_by_role("searchbox", name="Search other contacts").press("Enter")
    page.get_by_role("link", name="Merge…").click()

    page.wait_for_url(f"**/contacts/{jana.pk}/merge/{duplicate.pk}/")
    assert page.get_by_text("j.mueller@example.com").is_visible()
    page.get_by_role("radio", name="J.").check()
    screenshot(page, "contact-merge-preview")
    page.get_by_role("button", name="Merge contacts").click()

    page.wait_for_url(f"**/contacts/{jana.pk}/")
    assert page.locator("#toasts").get_by_text("was merged into").is_visible()
    assert page.get_by_text("Asked for an invoice copy.").is_visible()
    assert Identity.objects.get(normalised="j.mueller@example.com").contact_id == jana.pk
    assert Contact.objects.get(pk=jana.pk).first_name == "J."

    page.get_by_role("button", name="Undo merge").click()

    page.locator("#toasts").get_by_text("The merge is undone").wait_for()
    assert Contact.objects.get(pk=duplicate.pk).merged_into is None
    assert Identity.objects.get(normalised="j.mueller@example.com").contact_id == duplicate.pk
    assert Contact.objects.get(pk=jana.pk).first_name == "Jana"


def test_tabs_switch_over_htmx_and_the_phone_number_is_copied(
    transactional_db, max_manager, new_page
):
    jana = ContactFactory(kind="curated", first_name="Jana", last_name="Müller")
    identity(jana, "phone", "+49 170 1234567")
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, max_manager.email, PASSWORD)
    page.goto(f"/contacts/{jana.pk}/")

    page.get_by_role("link", name="Profile").click()
    page.wait_for_url("**?tab=profile")
    page.get_by_role("button", name="Copy +49 170 1234567").click()

    page.locator("#toasts").get_by_text("Copied to the clipboard").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == "+491701234567"
    assert (
        page.get_by_role("link", name="+49 170 1234567", exact=True).get_attribute("href")
        == "tel:+491701234567"
    )
