"""The workspace shell in real Chromium: the demo agent logs in, looks around and switches the
language; Ada, the admin, saves over htmx and removes a licence."""

import pytest
from django.core.management import call_command

from accounts.models import Organisation
from tests.browser.pages import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]


@pytest.fixture
def demo(transactional_db, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    settings.DEBUG = False


def test_the_demo_agent_logs_in_sees_the_workspace_and_switches_to_german(
    demo, new_page, screenshot
):
    page = new_page()

    log_in(page, "anna@nordlicht.example", "switchboard-demo")

    nav = page.get_by_role("navigation", name="Main")
    for label in ["Inbox", "Routing", "Contacts", "Campaigns"]:
        assert nav.get_by_role("link", name=label).is_visible()
    assert nav.get_by_role("link", name="Settings").count() == 0
    assert page.get_by_role("heading", name="Conversations").is_visible()
    assert page.locator("#conversation-rows > li").first.is_visible()
    screenshot(page, "workspace-en")

    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Deutsch").click()

    page.wait_for_url("**/inbox/")
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    for label in ["Posteingang", "Routing", "Kontakte", "Kampagnen"]:
        assert nav.get_by_role("link", name=label).is_visible()
    assert page.locator("html").get_attribute("lang") == "de"
    screenshot(page, "workspace-de")


def test_an_admin_saves_the_organisation_over_htmx_with_csrf_and_a_toast(
    transactional_db, ada, new_page
):
    page = new_page()
    log_in(page, ada.email, PASSWORD)
    page.goto("/settings/organisation/")

    page.locator("#id_email").fill("not an address")
    page.locator("#organisation-form button[type=submit]").click()
    page.locator(".field-error").wait_for()
    assert page.url.endswith("/settings/organisation/")

    page.locator("#id_email").fill("kundenservice@nordlicht.example")
    page.locator("#id_name").fill("Nordlicht Service GmbH")
    page.locator("#organisation-form button[type=submit]").click()

    page.locator("#toasts .toast").wait_for()
    assert page.locator(".field-error").count() == 0
    organisation = Organisation.load()
    assert organisation.name == "Nordlicht Service GmbH"
    assert organisation.email == "kundenservice@nordlicht.example"


def test_an_admin_removes_a_licence_after_confirming(transactional_db, ada, alice, bob, new_page):
    page = new_page()
    log_in(page, ada.email, PASSWORD)
    page.goto("/settings/users/")
    page.get_by_role("searchbox").fill("bob")
    page.get_by_role("row").filter(has_text="Alice Agent").wait_for(state="detached")
    page.get_by_role("link", name="Bob Other-Inbox").click()

    page.get_by_role("button", name="Remove licence").click()
    dialog = page.locator("#confirm-dialog")
    assert dialog.is_visible()
    dialog.get_by_role("button", name="Cancel").click()
    assert page.get_by_role("button", name="Remove licence").is_visible()

    page.get_by_role("button", name="Remove licence").click()
    dialog.get_by_role("button", name="Confirm").click()

    page.get_by_role("button", name="Restore licence").wait_for()
    assert page.locator("#toasts").get_by_text("no longer has a licence").is_visible()
