"""Routing mode and Settings → Inboxes in real Chromium: an agent works through the queue
(next, reply, resolve and next), and a manager switches an inbox's mode and sets a member's
role and capacity."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inbox.actions import IncomingMessage, receive_message
from inbox.actions.assignment import route_next
from inbox.models import (
    AgentCapacity,
    Conversation,
    ConversationStatus,
    Direction,
    Inbox,
    InboxMode,
    InboxRole,
    Membership,
    Message,
)
from tests.browser.pages import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]


@pytest.fixture
def inbox(transactional_db, alice, max_manager):
    inbox = Inbox.objects.create(name="Kundenservice", mode=InboxMode.OPEN)
    Membership.objects.create(inbox=inbox, user=alice, role=InboxRole.MEMBER)
    Membership.objects.create(inbox=inbox, user=max_manager, role=InboxRole.MANAGER)
    return inbox


def customer_writes(inbox, number, body, *, minutes_ago, channel="sms", address=None):
    return receive_message(
        IncomingMessage(
            inbox=inbox,
            channel=channel,
            address=address or f"+49 170 98765{number:02d}",
            body=body,
            provider="test",
            provider_message_id=f"browser-{number}",
            received_at=timezone.now() - timedelta(minutes=minutes_ago),
        )
    ).message.conversation


def test_an_agent_works_through_routing_mode(inbox, alice, new_page, screenshot):
    first = customer_writes(
        inbox, 1, "Hallo, meine Bestellung 48213 ist noch nicht da.", minutes_ago=90
    )
    second = customer_writes(
        inbox,
        2,
        "Hi, can I move my appointment to Friday?",
        minutes_ago=20,
        channel="email",
        address="lena.berg@example.com",
    )
    page = new_page()
    log_in(page, alice.email, PASSWORD)

    page.get_by_role("link", name="Routing").click()
    expect(page.get_by_role("heading", name="2 conversations are waiting")).to_be_visible()
    screenshot(page, "routing-waiting")
    page.get_by_role("button", name="Get next conversation").click()

    # The workspace's own thread, composer and contact panel.
    thread = page.locator("#thread-messages")
    expect(thread.locator(".msg-in .msg-body")).to_have_text(
        "Hallo, meine Bestellung 48213 ist noch nicht da."
    )
    expect(page.locator(".routing-load label")).to_have_text("1 of 5 open")
    expect(page.locator("#conversation-header .thread-sub")).to_contain_text("+49 170 9876501")
    panel = page.locator("#contact-panel-pane")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("link", name="Summary")).to_have_attribute("aria-current", "page")
    expect(panel.get_by_role("button", name="Create contact")).to_be_visible()

    # Variables: the menu inserts one at the cursor, and it is rendered on sending.
    reply = page.get_by_role("textbox", name="Reply by SMS")
    reply.fill("Guten Tag! Ihr Paket kommt morgen. ")
    page.locator("#composer .variables-menu summary").click()
    page.locator("#composer [data-insert-variable]").first.click()
    expect(reply).not_to_have_value("Guten Tag! Ihr Paket kommt morgen. ")
    reply.fill("Guten Tag! Ihr Paket kommt morgen.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(thread.locator(".msg-out .msg-body")).to_have_text("Guten Tag! Ihr Paket kommt morgen.")
    expect(page.get_by_role("textbox", name="Reply by SMS")).to_have_value("")
    assert Message.objects.filter(conversation=first, direction=Direction.OUTBOUND).count() == 1
    assert "/routing/" in page.url

    # The internal comment, the customer never sees it.
    page.locator("#composer .composer-mode", has_text="Internal comment").click()
    page.get_by_role("textbox", name="Internal comment").fill("Paket ist beim Nachbarn.")
    page.get_by_role("button", name="Add comment").click()
    expect(thread.locator(".comment .comment-body")).to_have_text("Paket ist beim Nachbarn.")
    screenshot(page, "routing-conversation")

    page.get_by_role("button", name="Resolve and next").click()
    page.locator("#toasts").get_by_text(f"Here is the next one: #{second.number}.").wait_for()
    expect(page.locator("#thread-messages .msg-in .msg-body")).to_have_text(
        "Hi, can I move my appointment to Friday?"
    )
    expect(page.locator("#conversation-header .thread-sub")).to_contain_text(
        "lena.berg@example.com"
    )
    first.refresh_from_db()
    assert first.status == ConversationStatus.RESOLVED
    assert Conversation.objects.get(pk=second.pk).assignee == alice

    page.get_by_role("button", name="Hand back").click()
    page.locator("#toasts").get_by_text(f"#{second.number} is back with the team").wait_for()
    assert Conversation.objects.get(pk=second.pk).assignee is None
    expect(page.get_by_role("heading", name="1 conversation is waiting")).to_be_visible()
    page.get_by_role("button", name="Get next conversation").click()

    page.get_by_role("button", name="Resolve and next").click()
    expect(page.get_by_role("heading", name="Nothing is waiting")).to_be_visible()
    expect(page.locator(".routing-load label")).to_have_text("0 of 5 open")
    screenshot(page, "routing-nothing-waiting")


@pytest.mark.parametrize("width", [1280, 390])
def test_routing_mode_in_german_holds_the_thread_and_the_contact(
    inbox, alice, new_page, screenshot, width
):
    customer_writes(inbox, 1, "Hallo, meine Bestellung 48213 ist noch nicht da.", minutes_ago=9)
    route_next(agent=alice)
    alice.language = "de"
    alice.save(update_fields=["language"])
    page = new_page(locale="de-DE", width=width, height=844 if width < 700 else 900)
    log_in(page, alice.email, PASSWORD, button="Anmelden")

    page.goto("/routing/")

    expect(page.get_by_role("button", name="Erledigt und weiter")).to_be_visible()
    expect(page.get_by_role("button", name="Senden", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"routing-de-{width}")
    # Where the contact panel folds away, the header's toggle brings it back.
    page.locator("#conversation-header [data-panel-toggle]").click()
    expect(page.locator("#contact-panel-pane")).to_be_visible()
    screenshot(page, f"routing-de-{width}-contact")


def test_a_manager_changes_the_mode_role_and_capacity_of_an_inbox(
    inbox, max_manager, alice, bob, new_page, screenshot
):
    page = new_page()
    log_in(page, max_manager.email, PASSWORD)
    page.goto("/settings/")
    page.get_by_role("link", name="Inboxes").first.click()
    page.get_by_role("link", name="Kundenservice").click()

    page.get_by_role("radio", name="Assignment").check()
    page.get_by_role("button", name="Save").click()

    page.locator("#toasts").get_by_text("Kundenservice is now in assignment mode").wait_for()
    expect(page.locator(".inbox-title .badge")).to_have_text("Assignment mode")
    inbox.refresh_from_db()
    assert inbox.mode == InboxMode.ASSIGNMENT

    page.get_by_label("Role of Alice Agent").select_option("manager")
    page.locator("#toasts").get_by_text("Alice Agent is now a manager.").wait_for()
    assert Membership.objects.get(inbox=inbox, user=alice).role == InboxRole.MANAGER

    capacity = page.get_by_label("Capacity of Alice Agent")
    capacity.fill("3")
    capacity.press("Tab")
    page.locator("#toasts").get_by_text("up to 3 open conversations").wait_for()
    assert AgentCapacity.objects.get(user=alice).limit == 3
    expect(page.get_by_label("Capacity of Alice Agent")).to_have_value("3")

    page.locator("#inbox-members select[name=user]").select_option(
        label=f"Bob Other-Inbox ({bob.email})"
    )
    page.get_by_role("button", name="Add member").click()
    page.locator("#toasts").get_by_text(
        "Bob Other-Inbox is now a member of Kundenservice."
    ).wait_for()
    expect(page.locator(f"#member-{bob.id}")).to_be_visible()
    assert Membership.objects.get(inbox=inbox, user=bob).role == InboxRole.MEMBER
    screenshot(page, "settings-inbox-detail")
