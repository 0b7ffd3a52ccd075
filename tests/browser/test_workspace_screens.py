"""The workspace at every width and in German (issue 11, "Screens"), in real Chromium.

At 1280 px the contact panel folds away and comes back with the header's "Contact" button or
c, over the thread, and stays open from one conversation to the next; on a phone (390 px) a
conversation has a way back to the list and opens the contact full screen with a Close. No
screen scrolls sideways, cuts a label or wraps a short one — in German and with every label
40 % longer. Toasts: at most three, newest on top, never over Send, errors stay until closed.
After Resolve, focus moves to the next conversation; "Create new contact" is a real button
with a Cancel; "Send message" from a conversation preselects its address, channel and inbox.
Screenshots of the workspace at 1280 and 390 px in English and German go to /tmp/shots/.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contacts.models import AttributeDefinition
from inbox.models import Conversation, InboxChannel, Message
from tests.browser.pages import lengthen_labels, log_in, overflowing
from tests.factories import PASSWORD, ContactFactory, identity, inbound, inbox_with

pytestmark = [pytest.mark.browser]

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the lead collects the issue's screenshots
TABS = ["summary", "profile", "cases", "messages", "identities", "journey", "more"]


@pytest.fixture
def world(transactional_db, alice, max_manager):
    """Kundenservice (open) with an SMS number and an e-mail address; Jana Berg-Schneider
    wrote by e-mail last year and by SMS today; two more customers wrote after her."""
    inbox = inbox_with("Kundenservice Nordlicht", members=[alice], managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4940111111")
    InboxChannel.objects.create(inbox=inbox, kind="email", address="service@nordlicht.example")
    jana = ContactFactory(
        first_name="Jana",
        last_name="Berg-Schneider",
        company="Berg & Schneider Haustechnik GmbH",
        job_title="Leiterin Kundenbeziehungen",
        kind="curated",
    )
    identity(jana, "phone", "+49 170 1234567")
    identity(jana, "email", "jana.berg-schneider@haustechnik-berg-schneider.example")
    old = inbound(
        inbox,
        address="jana.berg-schneider@haustechnik-berg-schneider.example",
        channel="email",
        body="Die Rechnung vom letzten Jahr ist noch offen.",
        subject="Rechnung",
    ).conversation
    last_year = timezone.now() - timedelta(days=400)
    Message.objects.filter(conversation=old).update(created_at=last_year)
    Conversation.objects.filter(pk=old.pk).update(last_message_at=last_year)
    today = inbound(inbox, address="+49 170 1234567", body="Wann kommt der Techniker?")
    second = inbound(inbox, address="+49 170 2222222", body="Bitte um Rückruf.").conversation
    third = inbound(inbox, address="+49 170 3333333", body="Danke für die schnelle Hilfe!")
    return {
        "inbox": inbox,
        "jana": jana,
        "old": old,
        "today": today.conversation,
        "second": second,
        "third": third.conversation,
    }


def german(user):
    user.language = "de"
    user.save(update_fields=["language"])


def shot(page, name):
    """A screenshot for the issue's closing note (taken last: Playwright leaves empty style
    attributes on fields, which htmx would copy onto swapped-in elements)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False, caret="initial")


def toggle(page):
    return page.locator("#conversation-header [data-panel-toggle]")


def panel(page):
    return page.locator("#contact-panel-pane")


def open_panel(page):
    """Open the folded panel (the tab remembers it open after the first time)."""
    page.wait_for_load_state()
    if toggle(page).get_attribute("aria-expanded") != "true":
        toggle(page).click()
    expect(panel(page)).to_be_visible()


def test_at_1280_the_contact_panel_comes_back_by_button_and_shortcut_and_stays_open(
    world, alice, new_page
):
    page = new_page(width=1280)
    log_in(page, alice.email, PASSWORD)
    page.locator(f"#conversation-row-{world['today'].pk} a").click()
    expect(page.locator("#thread-heading")).to_be_focused()

    expect(panel(page)).to_be_hidden()
    expect(toggle(page)).to_have_attribute("title", "Show or hide the contact (c)")
    expect(toggle(page)).to_have_attribute("aria-expanded", "false")
    toggle(page).click()
    expect(panel(page)).to_be_visible()
    expect(toggle(page)).to_have_attribute("aria-expanded", "true")
    expect(panel(page)).to_contain_text("Jana Berg-Schneider")
    # It lies over the thread's right side, inside the window.
    box, thread = panel(page).bounding_box(), page.locator("#thread-pane").bounding_box()
    assert box["x"] >= thread["x"] and box["x"] + box["width"] <= 1280 + 1

    # Open from one conversation to the next, and after a reload (the tab remembers).
    page.locator(f"#conversation-row-{world['second'].pk} a").click()
    expect(page.locator("#thread-heading")).to_have_text("+49 170 2222222")
    expect(panel(page)).to_be_visible()
    expect(toggle(page)).to_have_attribute("aria-expanded", "true")
    page.reload()
    expect(panel(page)).to_be_visible()

    # Escape closes it and gives focus back to the button; c opens it again, focus inside.
    page.locator("#thread-heading").focus()
    page.keyboard.press("Escape")
    expect(panel(page)).to_be_hidden()
    expect(toggle(page)).to_be_focused()
    page.keyboard.press("c")
    expect(panel(page)).to_be_visible()
    expect(page.locator("#contact-panel-pane .panel-close")).to_be_focused()
    page.keyboard.press("c")
    expect(panel(page)).to_be_hidden()
    # The shortcut is in the help.
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-dialog")).to_contain_text("Show or hide the contact")


def test_at_1440_the_panel_is_always_there_and_needs_no_button(world, alice, new_page):
    page = new_page(width=1440)
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/inbox/c/{world['today'].pk}/")
    expect(panel(page)).to_be_visible()
    expect(toggle(page)).to_be_hidden()
    expect(page.locator(".thread-back")).to_be_hidden()


def test_on_a_phone_a_conversation_goes_back_to_the_list_and_opens_the_contact_full_screen(
    world, alice, new_page
):
    german(alice)
    page = new_page(locale="de-DE", width=390, height=844)
    log_in(page, alice.email, PASSWORD, button="Anmelden")
    page.locator(f"#conversation-row-{world['today'].pk} a").click()
    expect(page.locator("#thread-heading")).to_be_visible()
    expect(page.locator(".pane-list")).to_be_hidden()

    toggle(page).click()
    expect(panel(page)).to_be_visible()
    box = panel(page).bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 390, 844)
    close = page.locator("#contact-panel-pane .panel-close")
    expect(close).to_be_focused()
    close.click()
    expect(panel(page)).to_be_hidden()
    expect(toggle(page)).to_be_focused()

    back = page.locator("#conversation-header .thread-back")
    expect(back).to_be_visible()
    back.click()
    page.wait_for_url("**/inbox/")
    expect(page.locator(f"#conversation-row-{world['today'].pk}")).to_be_visible()
    # Back on the list, the next conversation opens on its thread, not on the contact.
    page.locator(f"#conversation-row-{world['second'].pk} a").click()
    expect(page.locator("#thread-heading")).to_be_visible()
    expect(panel(page)).to_be_hidden()


def check_screen(page, what):
    problems = overflowing(page)
    assert not problems, f"{what}: {problems}"
    # Longer still, a label may take a second line; nothing may be cut or spill out.
    lengthen_labels(page)
    problems = overflowing(page, strict=False)
    assert not problems, f"{what} with 40 % longer labels: {problems}"


@pytest.mark.parametrize(
    ("language", "width", "height"),
    [("de", 1440, 900), ("de", 1280, 800), ("de", 390, 844), ("en", 1280, 800), ("en", 390, 844)],
)
def test_every_screen_holds_german_english_and_longer_labels(
    world, max_manager, new_page, language, width, height
):
    if language == "de":
        german(max_manager)
    AttributeDefinition.objects.filter(key__in=["company", "job_title"]).update(visible=True)
    page = new_page(locale="de-DE" if language == "de" else "en-GB", width=width, height=height)
    log_in(page, max_manager.email, PASSWORD, button="Anmelden" if language == "de" else "Log in")
    check_screen(page, "the list")

    jana = world["jana"]
    for tab in TABS:
        page.goto(f"/inbox/c/{world['today'].pk}/")
        if width <= 1280:
            open_panel(page)
        if tab != "summary":
            panel(page).locator(f".panel-tabs a[href$='?tab={tab}']").click()
            expect(panel(page).locator(".panel-tabs a[aria-current=page]")).to_have_attribute(
                "href", f"/contacts/{jana.pk}/?tab={tab}"
            )
        check_screen(page, f"the conversation with the panel's {tab} tab")

    for url in [
        "/contacts/",
        f"/contacts/{jana.pk}/?tab=identities",
        "/settings/inboxes/",
        f"/settings/inboxes/{world['inbox'].pk}/",
        "/routing/",
        "/campaigns/",
        "/settings/",
        "/accounts/preferences/",
    ]:
        page.goto(url)
        check_screen(page, url)


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_the_attributes_settings_hold_german_and_longer_labels(
    transactional_db, ada, new_page, width, height
):
    german(ada)
    page = new_page(locale="de-DE", width=width, height=height)
    log_in(page, ada.email, PASSWORD, button="Anmelden")
    page.goto("/settings/contact-attributes/")
    check_screen(page, "Settings → Contact attributes")


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (390, 844)])
def test_toasts_at_most_three_newest_on_top_never_over_send_and_errors_stay(
    world, alice, new_page, width, height
):
    page = new_page(width=width, height=height)
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/inbox/c/{world['today'].pk}/")
    box = page.locator("textarea[data-composer]")
    box.fill("Hallo {{ contact.unbekannt }}")
    page.get_by_role("button", name="Send", exact=True).click()
    toasts = page.locator("#toasts .toast")
    expect(toasts).to_have_count(1)
    expect(toasts.first).to_have_class("toast toast-error")

    for number in range(1, 4):
        page.locator(".composer-mode", has_text="Internal comment").click()
        page.locator("textarea[name=body][id^=comment-body]").fill(f"Notiz {number}")
        page.get_by_role("button", name="Add comment").click()
        expect(page.locator("#thread-messages")).to_contain_text(f"Notiz {number}")

    # Four arrived, three are shown: the oldest confirmation went, the error stays.
    expect(toasts).to_have_count(3)
    expect(page.locator("#toasts .toast-error")).to_have_count(1)
    tops = [toasts.nth(i).bounding_box()["y"] for i in range(3)]
    assert tops[2] < tops[1] < tops[0], "the newest (last) is on top"
    for button in [
        page.get_by_role("button", name="Add comment"),
        page.locator(".composer-bar .btn-primary").first,
    ]:
        if not button.is_visible():
            continue
        target = button.bounding_box()
        for i in range(3):
            toast = toasts.nth(i).bounding_box()
            overlap_x = (
                toast["x"] < target["x"] + target["width"]
                and target["x"] < toast["x"] + toast["width"]
            )
            overlap_y = (
                toast["y"] < target["y"] + target["height"]
                and target["y"] < toast["y"] + toast["height"]
            )
            assert not (overlap_x and overlap_y), "a toast covers the composer's button"

    # The confirmations fade; the error waits for its close button.
    expect(page.locator("#toasts .toast-success")).to_have_count(0, timeout=9000)
    error = page.locator("#toasts .toast-error")
    expect(error).to_have_count(1)
    error.locator("[data-toast-close]").click()
    expect(toasts).to_have_count(0)


def test_after_resolve_focus_moves_to_the_next_conversation(world, alice, new_page):
    page = new_page(width=1440)
    log_in(page, alice.email, PASSWORD)
    # The list, newest first: third, second, today, old. Open "second" by keyboard.
    page.locator("body").press("j")
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url(f"**/inbox/c/{world['second'].pk}/")
    expect(page.locator("#thread-heading")).to_be_focused()

    page.keyboard.press("e")

    expect(page.locator("#conversation-header")).to_contain_text("Resolved")
    expect(page.locator(f"#conversation-row-{world['today'].pk} .conv-link")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/inbox/c/{world['today'].pk}/")
    expect(page.locator("#thread-heading")).to_be_focused()


def test_create_new_contact_is_a_button_with_a_cancel(world, alice, new_page):
    conversation = world["second"]
    Conversation.objects.filter(pk=conversation.pk).update(contact=None, contact_state="unlinked")
    page = new_page(width=1440)
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/inbox/c/{conversation.pk}/")
    opener = panel(page).get_by_role("button", name="Create new contact")
    expect(opener).to_have_attribute("aria-expanded", "false")
    form = panel(page).locator(".create-contact-form")
    expect(form).to_be_hidden()

    opener.click()
    expect(form).to_be_visible()
    expect(page.locator(f"#new-first-{conversation.pk}")).to_be_focused()
    page.locator(f"#new-first-{conversation.pk}").fill("Paul")
    form.get_by_role("button", name="Cancel").click()
    expect(form).to_be_hidden()
    expect(opener).to_be_focused()

    opener.click()
    expect(page.locator(f"#new-first-{conversation.pk}")).to_have_value("")
    page.locator(f"#new-first-{conversation.pk}").fill("Paul")
    page.locator(f"#new-last-{conversation.pk}").fill("Rückruf")
    form.get_by_role("button", name="Create and link").click()
    expect(page.locator("#toasts")).to_contain_text("Paul Rückruf is created and linked.")
    conversation.refresh_from_db()
    assert conversation.contact.display_name == "Paul Rückruf"


def test_send_message_from_a_conversation_preselects_its_channel_and_inbox(world, alice, new_page):
    page = new_page(width=1440)
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/inbox/c/{world['old'].pk}/")
    # After a tab switch the panel still knows the conversation.
    panel(page).locator(".panel-tabs a[href$='?tab=profile']").click()
    expect(panel(page).locator(".panel-tabs a[aria-current=page]")).to_contain_text("Profile")
    panel(page).get_by_role("link", name="Send message").click()

    send = page.locator("#contact-send")
    expect(send.locator("select[name=address]")).to_have_value(
        "jana.berg-schneider@haustechnik-berg-schneider.example"
    )
    expect(send.locator("select[name=channel]")).to_have_value("email")
    expect(send.locator("select[name=inbox]")).to_have_value(str(world["inbox"].pk))
    # Another address narrows the choices in place and keeps the focus on the field.
    send.locator("select[name=address]").select_option("+491701234567")
    expect(send.locator("select[name=channel]")).to_have_value("sms")
    expect(send.locator("select[name=address]")).to_be_focused()


@pytest.mark.parametrize("language", ["en", "de"])
def test_screenshots_of_the_workspace_at_1280_and_390(world, alice, new_page, language):
    if language == "de":
        german(alice)
    locale = "de-DE" if language == "de" else "en-GB"
    button = "Anmelden" if language == "de" else "Log in"
    wide = new_page(locale=locale, width=1280, height=800)
    log_in(wide, alice.email, PASSWORD, button=button)
    wide.goto(f"/inbox/c/{world['today'].pk}/")
    shot(wide, f"workspace-1280-{language}")
    toggle(wide).click()
    expect(panel(wide)).to_be_visible()
    shot(wide, f"workspace-1280-{language}-panel")

    phone = new_page(locale=locale, width=390, height=844)
    log_in(phone, alice.email, PASSWORD, button=button)
    shot(phone, f"workspace-390-{language}-list")
    phone.goto(f"/inbox/c/{world['today'].pk}/")
    shot(phone, f"workspace-390-{language}-conversation")
    toggle(phone).click()
    expect(panel(phone)).to_be_visible()
    shot(phone, f"workspace-390-{language}-contact")


def test_screenshots_of_the_identities_tab_and_the_contacts_list_in_german(
    world, max_manager, new_page
):
    german(max_manager)
    wide = new_page(locale="de-DE", width=1280, height=800)
    log_in(wide, max_manager.email, PASSWORD, button="Anmelden")
    wide.goto(f"/inbox/c/{world['today'].pk}/")
    open_panel(wide)
    panel(wide).locator(".panel-tabs a[href$='?tab=identities']").click()
    expect(panel(wide).locator(".identity-row").first).to_be_visible()
    shot(wide, "workspace-1280-de-identities")

    phone = new_page(locale="de-DE", width=390, height=844)
    log_in(phone, max_manager.email, PASSWORD, button="Anmelden")
    phone.goto("/contacts/")
    shot(phone, "contacts-390-de")
    phone.goto(f"/settings/inboxes/{world['inbox'].pk}/")
    shot(phone, "inbox-settings-390-de")
