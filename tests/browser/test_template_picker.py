"""Canned replies in real Chromium: the composer's "Templates" button loads the templates of
the conversation's inbox and channel, "/" in an empty reply opens it, the search narrows it,
and a choice goes into the reply box.

The button is the campaigns app's composer tool (inbox.composer_tools), included in the reply
form's bar."""

import pytest
from playwright.sync_api import expect

from campaigns.models import Template
from tests.browser.pages import log_in
from tests.factories import PASSWORD, inbound, inbox_with

pytestmark = [pytest.mark.browser]


@pytest.fixture
def composer(transactional_db, alice, new_page):
    inbox = inbox_with("Kundenservice", members=[alice])
    conversation = inbound(inbox, channel="sms").conversation
    Template.objects.create(
        inbox=inbox, name="Begrüßung", channel="sms", language="en", body="Hallo, hier Nordlicht."
    )
    Template.objects.create(inbox=None, name="Opening hours", language="en", body="Open 9-17.")
    Template.objects.create(inbox=inbox, name="Per Mail", channel="email", language="en", body="x")
    page = new_page()
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/inbox/c/{conversation.pk}/")
    page.wait_for_function("window.switchboardTemplatePicker === true")
    return page


def test_slash_in_an_empty_reply_opens_the_templates_and_enter_takes_the_first(composer):
    page = composer
    reply = page.locator("textarea[data-composer]")
    search = page.get_by_placeholder("Search templates")

    reply.press("/")

    expect(search).to_be_focused()
    expect(page.locator(".template-choice")).to_have_count(2)  # not the e-mail one
    search.fill("open")
    expect(page.locator(".template-choice")).to_have_count(1)
    search.press("Enter")
    expect(reply).to_have_value("Open 9-17.")
    expect(reply).to_be_focused()
    expect(page.locator("details[data-template-picker]")).not_to_have_attribute("open", "")


def test_the_button_arrow_keys_and_escape(composer):
    page = composer
    reply = page.locator("textarea[data-composer]")
    search = page.get_by_placeholder("Search templates")

    page.get_by_text("Templates", exact=True).click()
    expect(search).to_be_focused()
    search.press("ArrowDown")
    expect(page.locator(".template-choice").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(reply).to_have_value("Hallo, hier Nordlicht.")

    reply.fill("")
    reply.press("/")
    expect(search).to_be_focused()
    search.press("Escape")
    expect(reply).to_be_focused()
    expect(reply).to_have_value("")


def test_slash_after_other_text_is_just_a_slash(composer):
    reply = composer.locator("textarea[data-composer]")
    reply.fill("24")

    reply.press("/")

    expect(reply).to_have_value("24/")
    expect(composer.locator("details[data-template-picker]")).not_to_have_attribute("open", "")
