"""axe-core on every main screen, in English and German, at 1280 and 390 px: the demo data's
workspace (list, a conversation, the contact panel's tabs), routing mode, contacts, Settings,
campaigns, surveys and preferences. Any serious or critical violation fails the test, and all
of them are listed, page by page, in the failure message (tests/browser/axe.py).
"""

from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from accounts.models import User
from campaigns.actions.campaigns import create_campaign
from contacts.models import Contact, ContactKind
from demo.accounts import DEMO_PASSWORD
from inbox.models import ContactState, Conversation, Inbox
from surveys.models import Survey
from tests.browser.axe import Audit
from tests.browser.pages import log_in

pytestmark = [pytest.mark.browser]

ADMIN, MANAGER, AGENT = (
    "admin@nordlicht.example",
    "manager@nordlicht.example",
    "anna@nordlicht.example",
)
LOCALES = {"en": "en-GB", "de": "de-DE"}
CONTACT_TABS = ["summary", "profile", "cases", "messages", "identities", "more"]


@pytest.fixture
def demo(transactional_db, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    settings.DEBUG = False


def _log_in(page: Any, email: str, language: str) -> None:
    with translation.override(language):
        button = gettext("Log in")
    log_in(page, email, DEMO_PASSWORD, button=button)


def _story() -> dict[str, Any]:
    """What the screens show: a curated contact with several conversations (so the panel's
    Cases and Messages tabs have content), its newest conversation, the newest conversation
    from an address several contacts share (the panel's chooser), a draft campaign and a
    survey."""
    contact = (
        Contact.objects.filter(kind=ContactKind.CURATED)
        .annotate(n=Count("conversations"))
        .order_by("-n", "id")
        .first()
    )
    assert contact is not None
    conversation = Conversation.objects.filter(contact=contact).order_by("-last_message_at")[0]
    manager = User.objects.get(email=MANAGER)
    draft = create_campaign(
        inbox=Inbox.objects.get(name="Vertrieb"),
        actor=manager,
        name="Sommeraktion",
        channel="sms",
        type="marketing",
    )
    shared = Conversation.objects.filter(contact_state=ContactState.TO_CONFIRM)
    return {
        "contact": contact,
        "conversation": conversation,
        "several_matches": shared.order_by("-last_message_at")[0],
        "draft": draft,
        "survey": Survey.objects.order_by("id").first(),
        "inbox": conversation.inbox,
    }


def _links(page: Any, selector: str) -> list[tuple[str, str]]:
    """(text, href) of the links `selector` finds, each address once."""
    found: dict[str, str] = {}
    for link in page.locator(selector).all():
        found.setdefault(link.get_attribute("href"), " ".join(link.inner_text().split()))
    return [(name, url) for url, name in found.items()]


def _contact_panel_tabs(audit: Audit, page: Any, where: str) -> None:
    """Open the contact panel where it is folded away (its toggle, ≤ 1280 px), check the page
    with it open, then click through its tabs."""
    panel = page.locator("#contact-panel-pane")
    if not panel.is_visible():
        page.locator("[data-panel-toggle][aria-expanded=false]:visible").first.click()
        expect(panel).to_be_visible()
        audit.check(page, f"{where}: the contact panel opened")
    for index in range(panel.locator(".panel-tabs a").count()):
        tab = panel.locator(".panel-tabs a").nth(index)
        name = tab.inner_text().strip()
        tab.click()
        expect(panel.locator(".panel-tabs a").nth(index)).to_have_attribute("aria-current", "page")
        audit.check(page, f"{where}: contact panel, tab {name}", within="#contact-panel-pane")


@pytest.mark.parametrize(
    ("language", "width"),
    [("en", 1280), ("de", 1280), ("en", 390), ("de", 390)],
    ids=["en-1280", "de-1280", "en-390", "de-390"],
)
def test_the_main_screens_have_no_serious_or_critical_axe_violations(
    demo, new_page, language, width
):
    User.objects.update(language=language)
    story = _story()
    contact, conversation = story["contact"], story["conversation"]
    audit = Audit()

    # An admin: the log-in page, the workspace, contacts, Settings, preferences.
    page = new_page(locale=LOCALES[language], width=width)
    audit.visit(page, "log-in", "/accounts/login/")
    _log_in(page, ADMIN, language)
    audit.check(page, "workspace: conversation list")
    audit.visit(page, "workspace: a conversation", f"/inbox/c/{conversation.pk}/")
    _contact_panel_tabs(audit, page, "workspace")
    audit.visit(
        page,
        "workspace: a sender several contacts share",
        f"/inbox/c/{story['several_matches'].pk}/",
    )
    _contact_panel_tabs(audit, page, "workspace, several matches")
    audit.visit(page, "saved views", "/inbox/views/")
    audit.visit(page, "send a message from the card", f"/inbox/contacts/{contact.pk}/send/")
    audit.visit(page, "contacts list", "/contacts/")
    audit.visit(page, "new contact", "/contacts/new/")
    audit.visit(page, "address look-up", "/contacts/match/")
    # Every tab the contact page offers (apps add their own, like the customer journey).
    page.goto(f"/contacts/{contact.pk}/")
    tabs = _links(page, "#contact-panel .panel-tabs a")
    assert len(tabs) >= len(CONTACT_TABS)
    for name, url in tabs:
        audit.visit(page, f"contact page, tab {name}", url)
    # Every section of Settings (inboxes, attributes, users, API, webhooks and the rest).
    page.goto("/settings/inboxes/")
    sections = _links(page, "nav.settings-nav a")
    assert len(sections) >= 5
    for name, url in sections:
        audit.visit(page, f"settings: {name}", url)
    inbox_settings = f"/settings/inboxes/{story['inbox'].pk}/"
    audit.visit(page, "settings: an inbox", inbox_settings)
    # The inbox's own pages other apps link from it (campaign settings, web chat, …).
    for name, url in _links(page, f"main a[href^='{inbox_settings}']"):
        if url != inbox_settings and "/members/" not in url:
            audit.visit(page, f"settings: the inbox's {name}", url)
    audit.visit(page, "preferences", "/accounts/preferences/")

    # The manager: campaigns and surveys.
    page = new_page(locale=LOCALES[language], width=width)
    _log_in(page, MANAGER, language)
    for screen, url in [
        ("campaigns list", "/campaigns/"),
        ("new campaign", "/campaigns/new/"),
        ("campaign editor", f"/campaigns/{story['draft'].pk}/edit/"),
        ("surveys list", "/campaigns/surveys/"),
        ("survey results", f"/campaigns/surveys/{story['survey'].pk}/"),
    ]:
        audit.visit(page, screen, url)

    # An agent in routing mode: the conversation she works on (or the next one she asks for).
    page = new_page(locale=LOCALES[language], width=width)
    _log_in(page, AGENT, language)
    page.goto("/routing/")
    with translation.override(language):
        next_please = page.get_by_role("button", name=gettext("Get next conversation"))
        resolve_and_next = page.get_by_role("button", name=gettext("Resolve and next"))
    if next_please.count():
        next_please.click()
    resolve_and_next.wait_for()
    audit.check(page, "routing mode: a conversation")
    _contact_panel_tabs(audit, page, "routing mode")

    assert audit.screens >= 40, audit.screens
    assert not audit.problems, audit.report()
