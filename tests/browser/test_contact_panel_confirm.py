"""The workspace's contact panel in real Chromium: "Confirm contact" appears only where the
link is unconfirmed, as a secondary action with its reason; a new sender's temporary
contact is confirmed by creating the contact in the same step; Summary opens with the
contact's attributes in the admin's order."""

import pytest
from playwright.sync_api import expect

from contacts.models import AttributeDefinition, Contact
from tests.browser.pages import log_in
from tests.factories import PASSWORD, ContactFactory, identity, inbound, inbox_with

pytestmark = [pytest.mark.browser]


@pytest.fixture
def inbox(transactional_db, alice, max_manager):
    return inbox_with("Kundenservice", "open", members=[alice], managers=[max_manager])


def test_confirm_contact_is_offered_only_until_the_link_is_confirmed(
    inbox, alice, new_page, screenshot
):
    jana = ContactFactory(first_name="Jana", last_name="Nowak", kind="curated")
    identity(jana, "phone", "+49 170 1234567")
    conversation = inbound(inbox, address="+49 170 1234567").conversation
    page = new_page()
    log_in(page, alice.email, PASSWORD)

    page.goto(f"/inbox/c/{conversation.pk}/")
    panel = page.locator("#contact-panel-pane")
    confirm = panel.get_by_role("button", name="Confirm contact")
    expect(confirm).to_be_visible()
    expect(confirm).not_to_have_class("btn btn-sm btn-primary")
    expect(panel).to_contain_text("Linked to Jana Nowak by the sender's address.")
    screenshot(page, "contact-confirm-linked")

    confirm.click()
    page.locator("#toasts").get_by_text("Contact confirmed.").wait_for()
    expect(panel.locator(".state-badge")).to_have_text("Confirmed")
    expect(panel.get_by_role("button", name="Confirm contact")).to_have_count(0)
    expect(panel).not_to_contain_text("by the sender's address")
    conversation.refresh_from_db()
    assert conversation.contact_state == "confirmed"


def test_a_new_senders_temporary_contact_is_confirmed_by_creating_the_contact(
    inbox, alice, max_manager, new_page, screenshot
):
    conversation = inbound(inbox, address="+49 151 27654321").conversation
    manager = new_page()
    log_in(manager, max_manager.email, PASSWORD)
    manager.goto(f"/inbox/c/{conversation.pk}/")
    expect(
        manager.locator("#contact-panel-pane").get_by_role("button", name="Promote")
    ).to_be_visible()

    page = new_page()
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/inbox/c/{conversation.pk}/")
    panel = page.locator("#contact-panel-pane")
    expect(panel).to_contain_text("Switchboard keeps this address in a temporary contact")
    expect(panel.get_by_role("button", name="Confirm contact")).to_have_count(0)
    expect(panel.get_by_role("button", name="Promote")).to_have_count(0)

    panel.get_by_role("button", name="Create contact").click()
    form = panel.get_by_role("form", name="Create contact")
    expect(form.get_by_label("First name")).to_be_focused()
    form.get_by_label("First name").fill("Lena")
    form.get_by_label("Last name").fill("Berg")
    screenshot(page, "contact-confirm-create")
    form.get_by_role("button", name="Create and confirm").click()

    page.locator("#toasts").get_by_text("Lena Berg is created and linked.").wait_for()
    expect(panel.locator(".state-badge")).to_have_text("Confirmed")
    expect(panel.get_by_role("heading", name="Lena Berg")).to_be_visible()
    expect(panel).not_to_contain_text("Temporary contact")
    contact = Contact.objects.get(pk=conversation.contact_id)
    assert (contact.kind, contact.full_name, contact.expires_at) == ("curated", "Lena Berg", None)


def test_summary_opens_with_the_attributes_in_the_admins_order(inbox, alice, new_page, screenshot):
    AttributeDefinition.objects.create(key="plan", label="Plan", type="text")
    AttributeDefinition.objects.create(key="crm_tier", label="CRM tier", type="text", owner="crm")
    AttributeDefinition.objects.update(position=50)
    for position, key in enumerate(["crm_tier", "company", "plan", "email", "job_title"]):
        AttributeDefinition.objects.filter(key=key).update(position=position)
    AttributeDefinition.objects.filter(key="job_title").update(visible=False)
    AttributeDefinition.objects.changed()
    jana = ContactFactory(
        first_name="Jana",
        last_name="Nowak",
        company="Nordlicht GmbH",
        job_title="Einkauf",
        kind="curated",
        attributes={"plan": "Gold", "crm_tier": "A"},
    )
    identity(jana, "email", "jana@example.com")
    conversation = inbound(inbox, address="jana@example.com", channel="email").conversation
    page = new_page()
    log_in(page, alice.email, PASSWORD)

    page.goto(f"/inbox/c/{conversation.pk}/")

    panel = page.locator("#contact-panel-pane")
    expect(panel.get_by_role("link", name="Summary")).to_have_attribute("aria-current", "page")
    rows = panel.locator("#summary-attributes .attribute")
    keys = [rows.nth(i).get_attribute("data-key") for i in range(rows.count())]
    assert keys[:4] == ["crm_tier", "company", "plan", "email"]
    assert "job_title" not in keys
    expect(
        panel.locator('#summary-attributes [data-key="crm_tier"] [data-crm-mark]')
    ).to_be_visible()
    expect(panel.locator('#summary-attributes [data-key="plan"] dd')).to_have_text("Gold")
    # Then the activity, then the notes with their box.
    titles = panel.locator(".panel-body .panel-section-title").all_inner_texts()
    assert [t.strip().lower() for t in titles[:3]] == ["details", "activity", "notes"]
    screenshot(page, "contact-panel-summary")
