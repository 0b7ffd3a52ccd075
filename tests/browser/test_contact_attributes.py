"""Settings → Contact attributes in real Chromium: an admin drags, moves with the keyboard and
hides attributes; an agent's contact panel follows at once."""

import pytest
from django.urls import Resolver404, resolve
from playwright.sync_api import expect

from contacts.actions import create_contact
from contacts.attributes import ensure_builtin_definitions
from contacts.models import AttributeDefinition, AttributeType, Contact
from tests.browser.pages import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]

SETTINGS_URL = "/settings/contact-attributes/"


@pytest.fixture
def attributes(transactional_db):
    # A transactional test starts from empty tables, without the migration's rows.
    ensure_builtin_definitions()
    AttributeDefinition.objects.create(
        key="plan", label="Plan", type=AttributeType.CHOICE, choices=["Basic", "Pro"], position=10
    )
    AttributeDefinition.objects.create(
        key="customer_since", label="Customer since", type=AttributeType.DATE, position=11
    )


@pytest.fixture
def contact(attributes):
    contact = create_contact(
        actor=None,
        kind="curated",
        first_name="Lena",
        last_name="Berg",
        company="Nordlicht Logistik",
        identities=[("email", "lena.berg@example.com")],
    )
    Contact.objects.filter(pk=contact.pk).update(
        job_title="Head of purchasing", attributes={"plan": "Pro"}
    )
    return contact


def order() -> list[str]:
    return list(
        AttributeDefinition.objects.order_by("position", "id").values_list("key", flat=True)
    )


def row(page, key: str):
    return page.locator(f"#attribute-list tr[data-key='{key}']")


def drag_above(page, key: str, above: str) -> None:
    """Press on the handle of row `key`, move in small steps into the top of row `above` and
    release once SortableJS has moved the row there. It follows a real pointer path, and an
    emulated drag sends `dragover` only when the mouse moves, so the pointer keeps wiggling
    inside the target until the row has arrived."""
    start = row(page, key).locator(".drag-handle").bounding_box()
    x = start["x"] + start["width"] / 2
    page.mouse.move(x, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, start["y"] - 10, steps=5)
    arrived = page.locator(f"tr[data-key='{key}'] + tr[data-key='{above}']")
    for attempt in range(40):
        top = row(page, above).bounding_box()["y"]
        page.mouse.move(x + attempt % 2, top + 4, steps=3)
        if arrived.count():
            break
        page.wait_for_timeout(50)
    page.mouse.up()
    expect(arrived).to_have_count(1)


def test_an_admin_orders_and_hides_attributes_and_the_agent_panel_follows(
    contact, ada, alice, new_page, screenshot
):
    admin = new_page()
    log_in(admin, ada.email, PASSWORD)
    admin.goto(SETTINGS_URL)
    admin.wait_for_load_state("networkidle")

    drag_above(admin, "company", above="first_name")

    admin.locator("#toasts").get_by_text("Order saved.").wait_for()
    assert order()[:3] == ["company", "first_name", "last_name"]
    assert list(
        AttributeDefinition.objects.order_by("position").values_list("position", flat=True)
    ) == list(range(12))

    move_down = row(admin, "company").get_by_role("button", name="Move Company down")
    move_down.focus()
    admin.keyboard.press("Enter")
    admin.locator("#toasts").get_by_text("“Company” moved down.").first.wait_for()
    expect(admin.locator("#attribute-list tbody tr").nth(1)).to_have_attribute(
        "data-key", "company"
    )
    expect(row(admin, "company").get_by_role("button", name="Move Company down")).to_be_focused()
    assert order()[:3] == ["first_name", "company", "last_name"]
    admin.keyboard.press("Enter")  # the focus stayed on the button, so pressing again moves on
    expect(admin.locator("#attribute-list tbody tr").nth(2)).to_have_attribute(
        "data-key", "company"
    )
    expect(row(admin, "company").get_by_role("button", name="Move Company down")).to_be_focused()
    assert order()[:4] == ["first_name", "last_name", "company", "email"]

    switch = row(admin, "job_title").get_by_role("switch", name="visible to agents")
    assert switch.is_checked()
    switch.click()
    admin.locator("#toasts").get_by_text("“Job title” is now hidden from agents.").wait_for()
    assert not AttributeDefinition.objects.get(key="job_title").visible
    assert not row(admin, "job_title").get_by_role("switch").is_checked()
    screenshot(admin, "settings-contact-attributes")

    try:
        resolve(f"/contacts/{contact.pk}/")
    except Resolver404:
        pytest.skip("waits for the contact panel at /contacts/<id>/?tab=profile")
    agent = new_page()
    log_in(agent, alice.email, PASSWORD)
    agent.goto(f"/contacts/{contact.pk}/?tab=profile")
    shown = agent.locator("#profile-attributes .attribute").evaluate_all(
        "rows => rows.map(row => row.dataset.key)"
    )

    assert shown == ["first_name", "last_name", "company", "email", "plan"]
    screenshot(agent, "contact-panel-profile-after-reorder")


def test_an_admin_adds_a_choice_attribute_and_removes_it_after_confirming(
    attributes, ada, new_page, screenshot
):
    page = new_page()
    log_in(page, ada.email, PASSWORD)
    page.goto(SETTINGS_URL)
    page.get_by_role("link", name="Add attribute").click()

    choices = page.get_by_label("Choices")
    expect(choices).to_be_hidden()  # only the Choice type has choices
    page.get_by_label("Label").fill("Preferred language")
    page.get_by_label("Type").select_option("choice")
    expect(choices).to_be_visible()
    choices.fill("German\nSwedish\nEnglish")
    page.get_by_label("Visible to agents").check()
    screenshot(page, "settings-contact-attribute-add")
    page.get_by_role("button", name="Add attribute").click()

    page.wait_for_url(f"**{SETTINGS_URL}#attribute-*")
    assert row(page, "preferred_language").is_visible()
    added = AttributeDefinition.objects.get(key="preferred_language")
    assert added.choices == ["German", "Swedish", "English"] and added.position == 12

    row(page, "preferred_language").get_by_role("link", name="Edit Preferred language").click()
    page.get_by_role("button", name="Remove attribute").click()
    dialog = page.locator("#confirm-dialog")
    assert "values stored on contacts are kept" in dialog.inner_text()
    screenshot(page, "settings-contact-attribute-remove")
    dialog.get_by_role("button", name="Confirm").click()

    page.wait_for_url(f"**{SETTINGS_URL}")
    assert page.locator("#toasts").get_by_text("“Preferred language” is removed.").is_visible()
    assert not AttributeDefinition.objects.filter(key="preferred_language").exists()
