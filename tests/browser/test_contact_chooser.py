"""Shared identifiers in real Chromium: an SMS from a family's landline that three contacts
share opens on the "several matches" chooser; Alice searches it, picks Paul, sees his card,
goes back to the list and back to Paul. On a contact's Identities tab, adding a number another
contact has offers "Claim it" and "Share it"; sharing marks it on both."""

import pytest
from playwright.sync_api import expect

from contacts import sharing
from contacts.models import Identity
from inbox.models import Conversation
from tests.browser.pages import lengthen_labels, log_in, overflowing
from tests.factories import PASSWORD, ContactFactory, identity, inbound, inbox_with

pytestmark = [pytest.mark.browser]
LANDLINE = "+49 30 1234567"


@pytest.fixture
def sales(transactional_db, alice, max_manager):
    return inbox_with("Kundenservice", "assignment", members=[alice], managers=[max_manager])


@pytest.fixture
def family(transactional_db, ada):
    greta = ContactFactory(first_name="Greta", last_name="Sommer", company="")
    paul = ContactFactory(first_name="Paul", last_name="Sommer", company="Sommer Bau")
    lina = ContactFactory(first_name="Lina", last_name="Sommer", company="Praxis Dr. Sommer")
    landline = identity(greta, "phone", LANDLINE)
    for contact in (paul, lina):
        sharing.share_identity(contact, identity=landline, actor=ada)
    return greta, paul, lina


@pytest.fixture
def histories(sales, family):
    """Paul and Lina wrote before from their own mobiles: the chooser counts it."""
    _greta, paul, lina = family
    for contact, mobile, times in ((paul, "+49 170 7000001", 2), (lina, "+49 170 7000002", 1)):
        identity(contact, "phone", mobile)
        for n in range(times):
            inbound(sales, address=mobile, new_thread=True, body=f"Frage {n}")


def open_panel_if_hidden(page):
    """At narrow widths the contact panel opens with its toggle (issue 11, "Screens")."""
    pane = page.locator("#contact-panel-pane")
    if not pane.is_visible():
        toggle = page.locator("[data-panel-toggle]").first
        if toggle.count() and toggle.is_visible():
            toggle.click()
    expect(pane).to_be_visible()


def test_an_sms_from_a_shared_landline_lets_the_agent_choose_and_go_back(
    sales, family, histories, alice, new_page, screenshot
):
    _greta, paul, _lina = family
    conversation = inbound(
        sales, address="030 1234567", body="Hallo, hier ist Familie Sommer."
    ).conversation
    page = new_page(width=1280)
    log_in(page, alice.email, PASSWORD)

    page.goto(f"/inbox/c/{conversation.pk}/")
    open_panel_if_hidden(page)
    chooser = page.locator("#contact-chooser")
    expect(chooser).to_contain_text("3 contacts use this address")
    expect(chooser.locator(".chooser-candidate")).to_have_count(3)
    expect(chooser).to_contain_text("Sommer Bau")
    expect(chooser).to_contain_text("Last activity")
    expect(chooser.locator(".chooser-candidate", has_text="Paul Sommer")).to_contain_text(
        "2 conversations"
    )
    screenshot(page, "chooser-1280")

    search = page.get_by_role("searchbox", name="Search these contacts")
    search.fill("bau")
    search.press("Enter")
    expect(page.locator("#contact-chooser .chooser-candidate")).to_have_count(1)
    expect(page.locator("#contact-chooser")).to_contain_text("Paul Sommer")

    page.get_by_role("button", name="Select Paul Sommer").click()
    back = page.get_by_role("link", name="Back to the list (3 contacts use this address)")
    expect(back).to_be_visible()
    expect(page.locator("#contact-panel")).to_contain_text("Paul Sommer")
    expect(page.locator("#contact-chooser")).to_have_count(0)
    assert Conversation.objects.get(pk=conversation.pk).contact_id == paul.pk
    screenshot(page, "chooser-picked-1280")

    back.click()
    expect(page.locator("#contact-chooser .chooser-candidate")).to_have_count(3)
    expect(page.locator("#contact-chooser .chooser-picked")).to_contain_text("Paul Sommer")
    page.get_by_role("link", name="Back to Paul Sommer").click()
    expect(page.locator("#contact-panel")).to_contain_text("Paul Sommer")

    # The pick is remembered: the conversation opens on Paul again.
    page.reload()
    open_panel_if_hidden(page)
    expect(page.locator("#contact-panel")).to_contain_text("Paul Sommer")
    expect(
        page.get_by_role("link", name="Back to the list (3 contacts use this address)")
    ).to_be_visible()


def test_the_chooser_fits_a_phone(sales, family, histories, alice, new_page, screenshot):
    conversation = inbound(sales, address=LANDLINE, body="Hallo?").conversation
    page = new_page(width=390, height=844)
    log_in(page, alice.email, PASSWORD)

    page.goto(f"/inbox/c/{conversation.pk}/contact/choose/")
    open_panel_if_hidden(page)
    expect(page.locator("#contact-chooser .chooser-candidate")).to_have_count(3)
    screenshot(page, "chooser-390")


def test_adding_a_number_another_contact_has_offers_claim_and_share(
    transactional_db, ada, alice, new_page
):
    greta = ContactFactory(first_name="Greta", last_name="Sommer")
    paul = ContactFactory(first_name="Paul", last_name="Sommer")
    identity(greta, "phone", LANDLINE)
    page = new_page(width=1280)
    log_in(page, alice.email, PASSWORD)

    page.goto(f"/contacts/{paul.pk}/?tab=identities")
    page.get_by_label("Kind").select_option("phone")
    page.get_by_label("Address or number").fill("030 1234567")
    page.get_by_role("button", name="Add", exact=True).click()

    alert = page.locator(".taken-identity")
    expect(alert).to_contain_text("already belongs to Greta Sommer")
    expect(alert.get_by_role("button", name="Claim it")).to_be_visible()
    alert.get_by_role("button", name="Share it").click()

    expect(page.locator(".identity-list")).to_contain_text("shared")
    expect(page.locator(".badge-shared")).to_have_count(1)
    assert set(
        Identity.objects.filter(normalised="+49301234567").values_list("contact_id", "shared")
    ) == {
        (greta.pk, True),
        (paul.pk, True),
    }
    page.goto(f"/contacts/{greta.pk}/?tab=identities")
    expect(page.locator(".badge-shared")).to_have_count(1)


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_the_chooser_holds_german_and_longer_labels(
    sales, family, histories, alice, new_page, screenshot, width, height
):
    alice.language = "de"
    alice.save(update_fields=["language"])
    conversation = inbound(sales, address=LANDLINE, body="Hallo?").conversation
    page = new_page(locale="de-DE", width=width, height=height)
    log_in(page, alice.email, PASSWORD, button="Anmelden")

    page.goto(f"/inbox/c/{conversation.pk}/")
    open_panel_if_hidden(page)
    chooser = page.locator("#contact-chooser")
    expect(chooser.locator(".chooser-candidate")).to_have_count(3)
    problems = [p for p in overflowing(page) if "chooser" in p or "candidate" in p]
    assert not problems, problems
    screenshot(page, f"chooser-{width}-de")
    lengthen_labels(page)
    problems = [p for p in overflowing(page, strict=False) if "chooser" in p or "candidate" in p]
    assert not problems, f"with 40 % longer labels: {problems}"
