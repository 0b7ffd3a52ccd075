"""Settings → API in real Chromium: an admin creates a token, sees it once and copies it;
the copied token works against /api/v1/contacts, and after revoking it (with a
confirmation) it is refused with 401. No console or CSP error on the way."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.pages import log_in
from tests.factories import PASSWORD, inbox_with

pytestmark = [pytest.mark.browser]


def _get(url: str, token: str) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - the live server
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - live server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_an_admin_creates_copies_uses_and_revokes_a_token(
    transactional_db, ada, live_server, new_page, screenshot
):
    inbox_with("Kundenservice")
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, ada.email, PASSWORD)
    page.goto("/settings/")
    page.get_by_role("link", name="API").click()
    expect(page.get_by_text("No API tokens yet")).to_be_visible()

    page.get_by_role("link", name="Create token").first.click()
    page.get_by_label("Name").fill("CRM sync")
    page.get_by_label("contacts:read").check()
    page.get_by_label("Kundenservice").check()
    expect(page.locator(".token-never-warning")).to_be_hidden()
    page.get_by_label("Expires after").select_option("never")
    expect(page.locator(".token-never-warning")).to_be_visible()
    page.get_by_label("Expires after").select_option("90")
    screenshot(page, "api-token-new")
    page.get_by_role("button", name="Create token").click()

    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    shown = page.locator("#token-value").input_value()
    assert shown.startswith("sb_live_")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Token copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == shown
    screenshot(page, "api-token-created")

    status, body = _get(f"{live_server.url}/api/v1/contacts", copied)
    assert status == 200 and body["items"] == []

    page.get_by_role("link", name="Done").click()
    row = page.locator("tr", has_text="CRM sync")
    expect(row).to_contain_text("contacts:read")
    expect(row).to_contain_text("Kundenservice")
    expect(row).to_contain_text("127.0.0.0/24")
    assert copied[20:] not in page.content()  # the secret is never shown again
    row.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_text("CRM sync is revoked")).to_be_visible()
    expect(page.locator("tr", has_text="CRM sync")).to_contain_text("Revoked")

    status, body = _get(f"{live_server.url}/api/v1/contacts", copied)
    assert status == 401
    assert body["status"] == 401


def test_an_admin_reads_the_interactive_docs(transactional_db, ada, new_page):
    page = new_page()
    log_in(page, ada.email, PASSWORD)
    page.goto("/api/docs")

    expect(page.get_by_text("Switchboard API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/contacts").first).to_be_visible()
