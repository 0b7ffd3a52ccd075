"""Notifications in real Chromium: the unread count appears in the navigation and the tab
title when a customer writes; after the agent opts in on Preferences (the browser asks for
permission only then), a new message shows a browser notification and plays the sound."""

import re
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from inbox.models import Inbox, InboxRole, Membership
from tests.browser.pages import log_in
from tests.factories import PASSWORD, inbound

pytestmark = [pytest.mark.browser]

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the lead collects screenshots (issue 11)

# Records what the page asks of the Notification API and the Audio element (the test's own
# script, added by Playwright before the page's: the page's CSP does not apply to it).
RECORDER = """
window.__notified = [];
window.__sounds = 0;
const Real = window.Notification;
class Recorded extends Real {
  constructor(title, options) {
    super(title, options);
    window.__notified.push({title, body: options.body});
  }
}
Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
Recorded.requestPermission = (...args) => {
  window.__asked = true;
  return Real.requestPermission(...args);
};
window.Notification = Recorded;
HTMLMediaElement.prototype.play = function () { window.__sounds += 1; return Promise.resolve(); };
"""


@pytest.fixture
def inbox(transactional_db, alice):
    inbox = Inbox.objects.create(name="Kundenservice", mode="open")
    Membership.objects.create(inbox=inbox, user=alice, role=InboxRole.MEMBER)
    return inbox


def wait_until(page, expression: str, timeout: float = 10.0) -> None:
    """Poll `expression` in the page (wait_for_function evaluates strings, which the page's
    CSP refuses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def keep(path: Path, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / f"{name}.png")


def test_the_unread_count_appears_in_the_navigation_and_the_title(
    inbox, alice, new_page, screenshot
):
    page = new_page(width=1280)
    log_in(page, alice.email, PASSWORD)
    count = page.locator("#unread-count")
    expect(count).to_be_hidden()
    expect(page).to_have_title("Inbox · Switchboard")

    inbound(inbox, "+49 170 1111111", body="Wo bleibt mein Paket?")

    expect(count).to_have_text("1 unread", timeout=10_000)
    expect(page).to_have_title("(1) Inbox · Switchboard")
    inbound(inbox, "+49 170 2222222", body="Und meins?")
    expect(count).to_have_text("2 unread", timeout=10_000)
    expect(page).to_have_title("(2) Inbox · Switchboard")
    keep(screenshot(page, "unread-count"), "unread-count-1280-en")

    # Opening one takes it out of the count, at once.
    page.locator(".conv-row a.conv-link").first.click()
    expect(count).to_have_text("1 unread")
    expect(page).to_have_title(re.compile(r"^\(1\) "))

    # On a page outside the workspace the count is there as well, and in the narrow rail it
    # sits on the icon.
    page.goto("/contacts/")
    expect(count).to_have_text("1 unread")
    expect(page).to_have_title(re.compile(r"^\(1\) "))
    page.set_viewport_size({"width": 900, "height": 900})
    expect(count).to_be_visible()
    box, icon = count.bounding_box(), page.locator(".nav a").first.bounding_box()
    assert box and icon and icon["x"] <= box["x"] <= icon["x"] + icon["width"]
    keep(screenshot(page, "unread-count-rail"), "unread-count-900-en")


def test_after_opting_in_a_new_message_shows_a_notification_with_a_sound(
    inbox, alice, new_page, live_server, screenshot
):
    page = new_page(width=1280)
    page.context.add_init_script(RECORDER)
    log_in(page, alice.email, PASSWORD)
    page.goto("/accounts/preferences/")
    # Nothing is asked before the user opts in.
    assert not page.evaluate("window.__asked || false")

    # Ticking the box asks the browser; a refusal is explained.
    opt_in = page.get_by_label("Desktop notifications")
    opt_in.check()
    wait_until(page, "window.__asked === true")
    expect(page.locator("#notification-permission")).to_contain_text(
        "This browser blocks notifications from Switchboard."
    )
    # Allowed in the browser's site settings, it says so.
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    opt_in.uncheck()
    opt_in.check()
    expect(page.locator("#notification-permission")).to_have_text(
        "This browser shows Switchboard\u2019s notifications."
    )
    page.get_by_label("Sound").check()
    assert page.evaluate("window.__sounds") == 1  # ticking it plays the sound once
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".toast")).to_contain_text("Your preferences are saved.")
    keep(screenshot(page, "notification-preferences"), "notification-preferences-1280-en")

    page.goto("/inbox/")
    inbound(inbox, "+49 170 3333333", body="Hallo, ist jemand da?")

    wait_until(page, "window.__notified.length === 1")
    [shown] = page.evaluate("window.__notified")
    assert shown == {
        "title": "New conversation from +49 170 3333333",
        "body": "Hallo, ist jemand da?",
    }
    assert page.evaluate("window.__sounds") == 1
    # The poll overlaps the last one: the same message is never announced twice.
    page.wait_for_timeout(4_000)
    assert page.evaluate("window.__notified.length") == 1


def test_without_opting_in_nothing_is_shown_or_played(inbox, alice, new_page, live_server):
    page = new_page(width=1280)
    page.context.add_init_script(RECORDER)
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    log_in(page, alice.email, PASSWORD)

    inbound(inbox, "+49 170 4444444", body="Hallo?")

    expect(page.locator("#unread-count")).to_have_text("1 unread", timeout=10_000)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__notified.length") == 0
    assert page.evaluate("window.__sounds") == 0
