"""Channels and "Send message" in real Chromium: a manager gives the inbox an SMS number in
Settings; an agent sends a text from the contact card, sees the confirmation, follows it to
the conversation and finds the message there, sent."""

import pytest
from playwright.sync_api import expect

from inbox.channels import locmem
from inbox.models import Conversation, InboxChannel
from tests.browser.pages import log_in
from tests.factories import PASSWORD, ContactFactory, identity, inbox_with

pytestmark = [pytest.mark.browser]

MOBILE, HOME = "+491701234567", "+49407654321"


@pytest.fixture
def team(transactional_db, settings, alice, max_manager):
    settings.SMS_BACKEND = "locmem"
    locmem.reset()
    inbox = inbox_with("Kundenservice", members=[alice], managers=[max_manager])
    jana = ContactFactory(first_name="Jana", last_name="Berg", company="Berg KG")
    identity(jana, "phone", "+49 170 1234567")
    identity(jana, "phone", "040 7654321")
    yield inbox, alice, max_manager, jana
    locmem.reset()


def test_a_manager_adds_a_number_and_an_agent_sends_from_the_contact_card(
    team, new_page, screenshot
):
    inbox, alice, max_manager, jana = team

    settings_page = new_page()
    log_in(settings_page, max_manager.email, PASSWORD)
    settings_page.goto(f"/settings/inboxes/{inbox.pk}/")
    channels = settings_page.locator("#inbox-channels")
    expect(channels).to_contain_text("Customers can't reach this inbox yet")
    channels.get_by_label("Number or address").fill("12")
    channels.get_by_role("button", name="Add").click()
    expect(channels.locator(".field-error")).to_contain_text("is not a valid phone number")
    channels.get_by_label("Number or address").fill("+49 40 1234567")
    channels.get_by_label("Label").fill("Hotline")
    channels.get_by_role("button", name="Add").click()
    expect(channels.locator('[data-channel="sms:+49401234567"]')).to_contain_text("Hotline")
    expect(settings_page.locator("#toasts")).to_contain_text("Kundenservice now receives SMS")
    # A second one, removed again through the confirmation dialog.
    channels.get_by_label("Channel").select_option("whatsapp")
    channels.get_by_label("Number or address").fill("+49 40 5555555")
    channels.get_by_role("button", name="Add").click()
    whatsapp = channels.locator('[data-channel="whatsapp:+49405555555"]')
    expect(whatsapp).to_be_visible()
    whatsapp.get_by_role("button", name="Remove +49 40 5555555").click()
    expect(settings_page.locator("#confirm-dialog")).to_contain_text("Remove +49 40 5555555")
    settings_page.locator("#confirm-dialog").get_by_role("button", name="Confirm").click()
    expect(whatsapp).to_have_count(0)
    expect(settings_page.locator(".provider-urls")).to_contain_text("/webhooks/twilio/")
    expect(settings_page.locator("#toasts [data-toast]")).to_have_count(0, timeout=10_000)
    screenshot(settings_page, "channels-settings")
    assert list(InboxChannel.objects.values_list("kind", "address")) == [("sms", "+49401234567")]

    page = new_page()
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/contacts/{jana.pk}/")
    expect(page.locator(f'a.btn[href="tel:{MOBILE}"]')).to_have_text("Call +49 170 1234567")
    expect(page.locator(f'a.btn[href="tel:{HOME}"]')).to_have_text("Call +49 40 7654321")
    page.get_by_role("link", name="Send message").click()
    form = page.locator("#contact-send form")
    expect(form.get_by_label("From inbox")).to_have_value(str(inbox.pk))
    expect(form.get_by_label("To")).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith(f"/contacts/{jana.pk}/send/")):
        form.get_by_label("To").select_option(HOME)
    expect(form.get_by_label("To")).to_have_value(HOME)
    expect(form.get_by_label("Send by")).to_have_value("sms")
    form.get_by_label("Message").fill("Hallo ")
    form.locator(".variables-menu summary").click()
    form.locator("""[data-insert-variable='{{ contact.first_name | default: "" }}']""").click()
    # The cursor waits between the quotes for the fallback.
    form.get_by_label("Message").press_sequentially("Kundin")
    expect(form.get_by_label("Message")).to_have_value(
        'Hallo {{ contact.first_name | default: "Kundin" }}'
    )
    form.get_by_label("Message").press("End")
    form.get_by_label("Message").press_sequentially(", Ihr Rückruf ist für 15 Uhr geplant.")
    form.get_by_role("button", name="Send").click()

    sent = page.locator("#contact-send")
    expect(sent).to_contain_text("Message sent")
    expect(sent).to_contain_text("By SMS to +49 40 7654321 from Kundenservice")
    expect(page.locator("#toasts")).to_contain_text("Message sent to +49 40 7654321")
    conversation = Conversation.objects.get()
    screenshot(page, "contact-card-message-sent")
    sent.get_by_role("link", name=f"Open conversation #{conversation.number}").click()
    page.wait_for_url(f"**/inbox/c/{conversation.pk}/")
    message = page.locator(".msg-out").last
    expect(message).to_contain_text("Hallo Jana, Ihr Rückruf ist für 15 Uhr geplant.")
    expect(message.locator("[data-delivery]")).to_have_text("Sent")
    # The contact panel beside the thread offers the same form, preselecting this
    # conversation's address, channel and inbox.
    panel = page.locator("#contact-panel-pane")
    panel.get_by_role("link", name="Send message").click()
    expect(panel.locator("#contact-send form")).to_be_visible()
    expect(panel.locator("#contact-send select[name=address]")).to_have_value(HOME)
    screenshot(page, "contact-card-message-in-thread")
    [delivered] = locmem.outbox
    assert (delivered.to, delivered.from_) == (HOME, "+49401234567")
