"""Opt-outs in real Chromium: Max edits the inbox's keyword lists and switches on the message
assistant in Settings → Inboxes → Campaigns; Alice marks a customer's "bitte keine SMS mehr"
as an opt-out from the thread and finds it on the contact card."""

import pytest
from playwright.sync_api import expect

from contacts.consent import OptOut
from inbox.channels import locmem
from inbox.models import InboxChannel
from tests.browser.pages import log_in
from tests.factories import PASSWORD, ContactFactory, identity, inbound, inbox_with

pytestmark = [pytest.mark.browser]


@pytest.fixture
def team(transactional_db, settings, alice, max_manager):
    settings.SMS_BACKEND = "locmem"
    locmem.reset()
    inbox = inbox_with("Kundenservice", members=[alice], managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")
    jana = ContactFactory(first_name="Jana", last_name="Berg")
    identity(jana, "phone", "+49 170 1234567")
    yield inbox, jana
    locmem.reset()


def test_a_manager_edits_the_keywords_and_switches(team, max_manager, new_page, screenshot):
    inbox, _jana = team
    page = new_page()
    log_in(page, max_manager.email, PASSWORD)
    page.goto(f"/settings/inboxes/{inbox.pk}/")
    page.get_by_role("link", name="Campaign settings").click()
    keywords = page.locator("#campaign-keywords")
    expect(keywords).to_contain_text("ABBRUCH")

    page.get_by_role("button", name="Remove ABBRUCH").click()
    expect(page.locator('[data-keyword="ABBRUCH"]')).to_have_count(0)
    page.get_by_label("Language").select_option("de")
    page.get_by_label("Keyword", exact=True).fill("aufhören!")
    keywords.get_by_role("button", name="Add").click()
    expect(page.locator('[data-keyword="AUFHÖREN"]')).to_have_count(1)
    page.get_by_label("Keyword", exact=True).fill("start")
    keywords.get_by_role("button", name="Add").click()
    expect(keywords).to_contain_text("a keyword has one meaning")

    page.get_by_role("switch", name="Message assistant").check()
    page.locator("#campaign-switches").get_by_role("button", name="Save").click()
    expect(page.locator("#campaign-switches")).to_contain_text("Terms accepted by Max Manager")
    screenshot(page, "campaign-settings")


def test_an_agent_marks_free_text_as_an_opt_out(team, alice, new_page, screenshot):
    inbox, jana = team
    message = inbound(inbox, address="+49 170 1234567", body="Bitte keine SMS mehr")
    page = new_page()
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/inbox/c/{message.conversation_id}/")

    page.get_by_role("button", name="Mark as opted out").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Confirm").click()

    thread = page.locator("#thread-messages")
    expect(thread).to_contain_text("Alice Agent marked the contact as opted out of SMS campaigns")
    expect(page.get_by_role("button", name="Mark as opted out")).to_have_count(0)
    assert OptOut.objects.filter(source="agent", actor=alice).count() == 1
    page.goto(f"/contacts/{jana.pk}/?tab=identities")
    expect(page.locator("#contact-panel")).to_contain_text("Opted out of SMS campaigns since")
    screenshot(page, "contact-opted-out")
