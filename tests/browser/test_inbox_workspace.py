"""The agent workspace in real Chromium: Alice assigns and replies while Max, the inbox's
manager, watches it live in a second browser; Max reassigns; a new inbound message appears
without a reload."""

import re

import pytest
from playwright.sync_api import expect

from inbox.actions import IncomingMessage, receive_message
from inbox.models import Conversation, Inbox, InboxRole, Membership
from tests.browser.pages import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]


@pytest.fixture
def inbox(transactional_db, alice, max_manager):
    inbox = Inbox.objects.create(name="Kundenservice", mode="assignment")
    Membership.objects.create(inbox=inbox, user=alice, role=InboxRole.MEMBER)
    Membership.objects.create(inbox=inbox, user=max_manager, role=InboxRole.MANAGER)
    return inbox


def inbound(inbox, address, body, message_id):
    return receive_message(
        IncomingMessage(
            inbox=inbox,
            channel="sms",
            address=address,
            body=body,
            provider="test",
            provider_message_id=message_id,
        )
    ).message.conversation


def test_assign_to_me_reply_and_a_colleague_sees_it_live(
    inbox, alice, max_manager, new_page, screenshot
):
    other = inbound(inbox, "+49 170 2222222", "Können Sie mich zurückrufen?", "m0")
    conversation = inbound(inbox, "+49 170 1234567", "Wo bleibt meine Bestellung 4711?", "m1")
    colleague = new_page()
    log_in(colleague, max_manager.email, PASSWORD)
    row_for_max = colleague.locator(f"#conversation-row-{conversation.pk}")
    expect(row_for_max).to_contain_text("Unassigned")

    page = new_page()
    log_in(page, alice.email, PASSWORD)
    page.locator(f"#conversation-row-{conversation.pk} a").click()
    page.wait_for_url(f"**/inbox/c/{conversation.pk}/")
    expect(page.locator("#composer")).to_contain_text("Assign the conversation to yourself")
    expect(page.locator("textarea[data-composer]")).to_have_count(0)

    page.locator("#composer").get_by_role("button", name="Assign to me").click()
    expect(page.locator("#conversation-header")).to_contain_text("Assigned to you")
    box = page.locator("textarea[data-composer]")
    box.fill("Hallo! Ihre Bestellung ist unterwegs. Viele Grüße, ")
    page.locator(".variables-menu summary").click()
    page.locator("[data-insert-variable='{{ account.company_name }}']").click()
    expect(box).to_have_value(
        "Hallo! Ihre Bestellung ist unterwegs. Viele Grüße, {{ account.company_name }}"
    )
    # The menu works from the keyboard: Enter opens it, Escape closes it back to its button.
    menu, summary = page.locator(".variables-menu"), page.locator(".variables-menu summary")
    summary.press("Enter")
    expect(menu).to_have_attribute("open", "")
    page.locator("""[data-insert-variable='{{ contact.first_name | default: "" }}']""").focus()
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()
    page.get_by_role("button", name="Send").click()

    reply = page.locator(".msg-out").last
    expect(reply).to_contain_text("Viele Grüße, Nordlicht GmbH")
    expect(reply.locator("[data-delivery]")).to_have_text("Sent")
    expect(row_for_max).to_contain_text("Alice Agent", timeout=8000)
    expect(row_for_max).not_to_contain_text("Unassigned")
    # Screenshots last: Playwright leaves empty style attributes on fields, which htmx would
    # copy onto swapped-in elements, and CSP (rightly) reports that.
    screenshot(page, "inbox-replied")
    screenshot(colleague, "inbox-colleague-live")
    page.locator(f"#conversation-row-{other.pk} a").click()
    expect(page.locator("#composer")).to_contain_text("Assign the conversation to yourself")
    screenshot(page, "inbox-assignment-blocked")


def test_a_manager_reassigns_through_the_workspace(inbox, alice, max_manager, new_page, screenshot):
    conversation = inbound(inbox, "+49 170 1234567", "Bitte um Rückruf.", "m1")
    page = new_page()
    log_in(page, max_manager.email, PASSWORD)
    page.goto(f"/inbox/c/{conversation.pk}/")

    page.get_by_role("region", name="Conversation", exact=True).get_by_label(
        "Assign to"
    ).select_option(label="Alice Agent")
    page.locator(".assign-form").get_by_role("button", name="Assign").click()

    expect(page.locator("#conversation-header")).to_contain_text("Assigned to Alice Agent")
    expect(page.locator(f"#conversation-row-{conversation.pk}")).to_contain_text("Alice Agent")
    expect(page.locator("#toasts")).to_contain_text("Assigned to Alice Agent")
    expect(page.locator("#thread-messages")).to_contain_text("Max Manager assigned Alice")
    screenshot(page, "inbox-manager-reassigned")
    conversation.refresh_from_db()
    assert conversation.assignee == alice


def test_a_new_inbound_message_appears_live_in_the_list(inbox, alice, new_page, screenshot):
    first = inbound(inbox, "+49 170 1111111", "Erste Nachricht", "m1")
    page = new_page()
    log_in(page, alice.email, PASSWORD)
    expect(page.locator(".conv-row")).to_have_count(1)

    newer = inbound(inbox, "+49 170 3333333", "Ist mein Paket verloren gegangen?", "m2")

    rows = page.locator(".conv-row")
    expect(rows).to_have_count(2, timeout=8000)
    expect(rows.first).to_have_id(f"conversation-row-{newer.pk}")
    expect(rows.first).to_contain_text("Ist mein Paket verloren gegangen?")
    expect(rows.first).to_have_class(re.compile("is-unread"))
    assert Conversation.objects.filter(pk=first.pk).exists()
    screenshot(page, "inbox-new-message-live")

    # Keyboard: j moves to the first row, o opens it, a assigns it, e resolves it.
    page.locator("body").press("j")
    page.keyboard.press("o")
    page.wait_for_url(f"**/inbox/c/{newer.pk}/")
    expect(page.locator("#conversation-header")).to_contain_text("Unassigned")
    page.keyboard.press("a")
    expect(page.locator("#conversation-header")).to_contain_text("Assigned to you")
    page.keyboard.press("e")
    expect(page.locator("#conversation-header")).to_contain_text("Resolved")
    newer.refresh_from_db()
    assert (newer.assignee, newer.status) == (alice, "resolved")
