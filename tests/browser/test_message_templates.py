"""Variables in the reply box in real Chromium: the menu puts the cursor between the quotes
of a fallback, and a reply that cannot be filled in comes back (htmx swaps the 422) with the
reason and the text still in the box; with the fallback typed, it is sent."""

import pytest
from playwright.sync_api import expect

from inbox.models import Inbox, InboxRole, Membership
from tests.browser.pages import log_in
from tests.factories import PASSWORD, inbound

pytestmark = [pytest.mark.browser]


@pytest.fixture
def conversation(transactional_db, alice):
    inbox = Inbox.objects.create(name="Kundenservice", mode="open")
    Membership.objects.create(inbox=inbox, user=alice, role=InboxRole.MEMBER)
    return inbound(inbox, "+49 170 1234567", "Wo bleibt mein Paket?").conversation


def test_a_reply_without_a_value_comes_back_and_goes_once_the_fallback_is_typed(
    conversation, alice, new_page
):
    page = new_page()
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/inbox/c/{conversation.pk}/")
    box = page.locator("textarea[data-composer]")
    box.fill("Hallo {{ contact.last_name }}, Ihr Paket ist unterwegs.")

    page.get_by_role("button", name="Send").click()

    expect(page.locator("#toasts")).to_contain_text("has no value for contact.last_name")
    box = page.locator("textarea[data-composer]")
    expect(box).to_have_value("Hallo {{ contact.last_name }}, Ihr Paket ist unterwegs.")
    expect(page.locator(".msg-out")).to_have_count(0)

    box.fill("Hallo ")
    page.locator(".variables-menu summary").click()
    page.locator("""[data-insert-variable='{{ contact.first_name | default: "" }}']""").click()
    page.keyboard.type("zusammen")
    box.press("End")
    box.press_sequentially(", Ihr Paket ist unterwegs.")
    box.press("Control+Enter")  # the error toast still covers the Send button

    expect(page.locator(".msg-out").last).to_contain_text(
        "Hallo zusammen, Ihr Paket ist unterwegs."
    )
