"""Issue 11 in Chromium: select conversations with a click, shift-click and "x" (kept while
the live poll redraws a row), resolve them in one go and undo it, put a label on a
conversation from its header, filter the list by it, save that list as a view and open it
again."""

import re

import pytest
from playwright.sync_api import expect

from inbox.actions import IncomingMessage, assignment, receive_message
from inbox.actions import labels as label_actions
from inbox.models import Conversation, ConversationEvent, Inbox, InboxRole, Membership, SavedView
from tests.browser.pages import log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser]


@pytest.fixture
def world(transactional_db, alice, max_manager):
    inbox = Inbox.objects.create(name="Kundenservice", mode="assignment")
    Membership.objects.create(inbox=inbox, user=alice, role=InboxRole.MEMBER)
    Membership.objects.create(inbox=inbox, user=max_manager, role=InboxRole.MANAGER)
    admin = UserFactory(role="admin", display_name="Ada Admin")
    vip = label_actions.create_label(name="VIP", colour="amber", actor=admin)
    label_actions.create_label(name="Rückruf", colour="teal", actor=admin)
    conversations = [
        receive_message(
            IncomingMessage(
                inbox=inbox,
                channel="sms",
                address=f"+49 170 80000{n:02d}",
                body=f"Frage Nummer {n}",
                provider="test",
                provider_message_id=f"bulk-{n}",
            )
        ).message.conversation
        for n in range(5)
    ]
    # The list shows the newest first.
    return inbox, vip, conversations[::-1]


def test_select_with_shift_click_and_x_then_resolve_and_undo(
    world, alice, max_manager, new_page, screenshot
):
    _inbox, _vip, rows = world
    page = new_page(width=1280)
    log_in(page, max_manager.email, PASSWORD)
    checkbox = [page.locator(f"#conversation-row-{c.pk} [data-conv-select]") for c in rows]
    expect(page.locator(".bulk-actions")).to_be_hidden()

    checkbox[0].click()
    checkbox[2].click(modifiers=["Shift"])  # the range 0…2
    page.locator(f"#conversation-row-{rows[4].pk} .conv-link").focus()
    page.keyboard.press("x")  # the focused row

    expect(page.locator("[data-bulk-count]")).to_have_text("4")
    for n in (0, 1, 2, 4):
        expect(checkbox[n]).to_be_checked()
    expect(checkbox[3]).not_to_be_checked()
    expect(page.locator("[data-bulk-all]")).to_have_js_property("indeterminate", True)
    screenshot(page, "bulk-selected-1280-en")
    # The live poll redraws a selected row that changed: it stays selected.
    assignment.assign(rows[0], assignee=alice, actor=max_manager)
    expect(page.locator(f"#conversation-row-{rows[0].pk}")).to_contain_text(
        "Alice Agent", timeout=8000
    )
    expect(checkbox[0]).to_be_checked()
    expect(page.locator("[data-bulk-count]")).to_have_text("4")

    page.locator("#bulk-form").get_by_role("button", name="Resolve").click()

    toast = page.locator("[data-undo-toast]")
    expect(toast).to_contain_text("4 conversations resolved.")
    for n in (0, 1, 2, 4):
        expect(page.locator(f"#conversation-row-{rows[n].pk}")).to_contain_text("Resolved")
    expect(page.locator(f"#conversation-row-{rows[3].pk}")).to_contain_text("Open")
    expect(page.locator("[data-bulk-count]")).to_have_text("0")
    resolved = {c.pk for c in Conversation.objects.filter(status="resolved")}
    assert resolved == {rows[n].pk for n in (0, 1, 2, 4)}
    assert ConversationEvent.objects.filter(kind="status", data__new="resolved").count() == 4
    screenshot(page, "bulk-undo-toast-1280-en")

    toast.get_by_role("button", name="Undo").click()

    expect(page.locator("#toasts")).to_contain_text("4 conversations reopened.")
    for row in rows:
        expect(page.locator(f"#conversation-row-{row.pk}")).to_contain_text("Open")
    assert not Conversation.objects.filter(status="resolved").exists()

    # Select all on this page, then clear it again.
    page.locator("[data-bulk-all]").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("5")
    page.locator("[data-bulk-all]").uncheck()
    expect(page.locator("[data-bulk-count]")).to_have_text("0")


def test_label_from_the_header_filter_by_it_and_save_the_view(world, alice, new_page, screenshot):
    _inbox, vip, rows = world
    target = rows[1]
    page = new_page(width=1280)
    log_in(page, alice.email, PASSWORD)
    page.locator(f"#conversation-row-{target.pk} .conv-link").click()
    page.wait_for_url(f"**/inbox/c/{target.pk}/")

    page.locator(".label-menu summary").click()
    page.locator(".label-add-form select").select_option(label="VIP")
    page.locator(".label-add-form").get_by_role("button", name="Add").click()

    expect(page.locator("#conversation-labels .label-chip")).to_have_text("VIP")
    expect(page.locator(f"#conversation-row-{target.pk} .conv-labels")).to_contain_text("VIP")
    expect(page.locator("#thread-messages")).to_contain_text("Alice Agent added the label “VIP”")

    page.locator("#filter-label").select_option(label="VIP")
    expect(page.locator(".conv-row")).to_have_count(1)
    expect(page.locator(".conv-row")).to_have_id(f"conversation-row-{target.pk}")
    page.wait_for_url(re.compile(rf"label={vip.pk}"))

    page.locator(".save-view summary").click()
    page.locator("#saved-view-name").fill("VIP offen")
    page.locator(".save-view-form").get_by_role("button", name="Save").click()

    current = page.locator(".saved-view[aria-current='page']")
    expect(current).to_have_text("VIP offen")
    assert SavedView.objects.get().filters == {"label": str(vip.pk)}
    screenshot(page, "saved-view-1280-en")

    page.goto("/inbox/")
    expect(page.locator(".conv-row")).to_have_count(5)
    page.locator(".saved-view", has_text="VIP offen").click()
    expect(page.locator(".conv-row")).to_have_count(1)
    expect(page.locator("#filter-label")).to_have_value(str(vip.pk))

    # The header's remove button takes the label off again.
    page.locator(f"#conversation-row-{target.pk} .conv-link").click()
    page.get_by_role("button", name="Remove the label VIP").click()
    expect(page.locator("#conversation-labels .label-chip")).to_have_count(0)


def test_the_bulk_bar_and_labels_in_german_at_390_and_1280(
    world, max_manager, new_page, screenshot
):
    _inbox, vip, rows = world
    max_manager.language = "de"
    max_manager.save(update_fields=["language"])
    label_actions.add_label(rows[0], label=vip, actor=max_manager)
    for width in (1280, 390):
        page = new_page(width=width, locale="de-DE")
        log_in(page, max_manager.email, PASSWORD, button="Anmelden")
        page.locator(f"#conversation-row-{rows[0].pk} [data-conv-select]").click()
        page.locator(f"#conversation-row-{rows[1].pk} [data-conv-select]").click()
        expect(page.locator("[data-bulk-count]")).to_have_text("2")
        bar = page.locator("#bulk-form")
        box = bar.bounding_box()
        assert box is not None and box["width"] <= width
        screenshot(page, f"bulk-bar-{width}-de")


def test_axe_finds_nothing_serious_on_the_new_screens(world, alice, new_page):
    """The list with a selection and labels, a labelled conversation's header, the saved
    views page and Settings → Labels, in English and German."""
    from tests.browser.axe import Audit

    _inbox, vip, rows = world
    label_actions.add_label(rows[0], label=vip, actor=alice)
    SavedView.objects.create(user=alice, name="VIP", filters={"label": str(vip.pk)})
    admin = type(alice).objects.get(role="admin")
    # Only what this issue added (the rest of the workspace: test_accessibility.py).
    audit = Audit()

    for language, locale in (("en", "en-GB"), ("de", "de-DE")):
        for user in (alice, admin):
            user.language = language
            user.save(update_fields=["language"])
        button = "Log in" if language == "en" else "Anmelden"
        page = new_page(width=1280, locale=locale)
        log_in(page, alice.email, PASSWORD, button=button)
        page.locator(f"#conversation-row-{rows[0].pk} [data-conv-select]").click()
        for part in ("#saved-views", "#bulk-form", ".conv-labels", ".conv-select"):
            audit.check(page, f"{language} list with a selection: {part}", within=part)
        page.locator(f"#conversation-row-{rows[0].pk} .conv-link").click()
        expect(page.locator("#conversation-labels .label-chip")).to_have_count(1)
        page.locator(".label-menu summary").click()
        audit.check(page, f"{language} conversation with labels", within="#conversation-labels")
        page.goto("/inbox/views/")
        audit.check(page, f"{language} saved views", within="main")
        settings_page = new_page(width=1280, locale=locale)
        log_in(settings_page, admin.email, PASSWORD, button=button)
        settings_page.goto("/settings/labels/")
        audit.check(settings_page, f"{language} Settings → Labels", within="main")
        settings_page.goto(f"/settings/labels/{vip.pk}/")
        audit.check(settings_page, f"{language} Settings → Labels → edit", within="main")

    assert not audit.problems, audit.report()
