"""Routing mode and Settings → Inboxes in real Chromium: an agent works through the queue
(next, reply, resolve and next), and a manager switches an inbox's mode and sets a member's
role and capacity."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inbox.actions import IncomingMessage, receive_message
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

    expect(page.locator(".bubble-in .bubble-body")).to_have_text(
        "Hallo, meine Bestellung 48213 ist noch nicht da."
    )
    expect(page.locator(".routing-load label")).to_have_text("1 of 5 open")
    page.get_by_role("textbox", name="Reply by SMS").fill("Guten Tag! Ihr Paket kommt morgen.")
    page.get_by_role("button", name="Send reply").click()
    page.locator("#toasts").get_by_text("Reply sent.").wait_for()
    expect(page.locator(".bubble-out .bubble-body")).to_have_text(
        "Guten Tag! Ihr Paket kommt morgen."
    )
    expect(page.get_by_role("textbox", name="Reply by SMS")).to_have_value("")
    assert Message.objects.filter(conversation=first, direction=Direction.OUTBOUND).count() == 1
    screenshot(page, "routing-conversation")

    page.get_by_role("button", name="Resolve and next").click()
    page.locator("#toasts").get_by_text(f"Here is the next one: #{second.number}.").wait_for()
    expect(page.locator(".bubble-in .bubble-body")).to_have_text(
        "Hi, can I move my appointment to Friday?"
    )
    first.refresh_from_db()
    assert first.status == ConversationStatus.RESOLVED
    assert Conversation.objects.get(pk=second.pk).assignee == alice

    page.get_by_role("button", name="Resolve and next").click()
    expect(page.get_by_role("heading", name="Nothing is waiting")).to_be_visible()
    expect(page.locator(".routing-load label")).to_have_text("0 of 5 open")
    screenshot(page, "routing-nothing-waiting")


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
