"""Every survey page in German, on a phone (390 px) and on a laptop (1280 px): the list (all
and one inbox's), a new survey, editing, the results with their chart, deleting, "Send
survey" from a conversation, and the public page. Nothing may make the page scroll sideways
(a wide table scrolls inside its own box), and the chart stays readable."""

import pytest
from playwright.sync_api import expect

from inbox import actions
from inbox.channels import locmem
from inbox.models import InboxChannel
from surveys.actions.responses import record_answer
from surveys.links import token_for
from surveys.models import SurveyInvitation
from tests.browser.pages import log_in
from tests.factories import PASSWORD, ContactFactory, identity, inbound, inbox_with
from tests.surveys_helpers import survey_of

pytestmark = [pytest.mark.browser]

WIDTHS = {"phone": (390, 844), "laptop": (1280, 800)}
LONG_COMMENT = (
    "Die Kundendienstmitarbeiterin hat mir außerordentlich schnell weitergeholfen; "
    "Rücksendeetikettenausdruckmöglichkeit wäre trotzdem wünschenswert."
)


@pytest.fixture
def answered(transactional_db, settings, alice, max_manager):
    """A German manager, a survey of Kundenservice with answers over several days (one of
    them with a long German comment) and a conversation to send a survey in."""
    settings.SMS_BACKEND = "locmem"
    locmem.reset()
    max_manager.language = "de"
    max_manager.save(update_fields=["language"])
    inbox = inbox_with("Kundenservice Norddeutschland", members=[alice], managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")
    survey = survey_of(
        inbox, max_manager, name="Zufriedenheit nach dem Gespräch mit dem Kundendienst"
    )
    invitations = []
    for n, score in enumerate([5, 4, 2, 5]):
        address = f"+49 170 100000{n}"
        contact = ContactFactory(attributes={"language": "de"})
        identity(contact, "phone", address)
        conversation = inbound(inbox, address=address, body="Wo ist mein Paket?").conversation
        actions.reply(conversation, body="Kommt morgen.", actor=alice)
        actions.set_status(conversation, status="resolved", actor=alice)
        invitation = SurveyInvitation.objects.get(conversation=conversation)
        record_answer(invitation, score=score, comment=LONG_COMMENT if n == 0 else "")
        invitations.append(invitation)
    open_one = inbound(inbox, address="+49 170 2000000", body="Noch eine Frage").conversation
    yield inbox, survey, invitations[0], open_one
    locmem.reset()


# The page and the workspace's own scrolling area (`main`, beside the navigation): neither
# may be wider than the window; a table's box (.table-scroll) may scroll inside itself.
MEASURE = """() => {
  const main = document.querySelector("main");
  const sticking = [...document.querySelectorAll("main *, .auth-main *")].filter((el) => {
    if (el.closest(".table-scroll") || el.closest(".visually-hidden")) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > window.innerWidth + 1;
  }).slice(0, 5).map((el) => el.tagName.toLowerCase() + "." + el.className);
  return {
    page: document.documentElement.scrollWidth,
    main: main ? main.scrollWidth - main.clientWidth : 0,
    window: window.innerWidth,
    sticking,
  };
}"""


def assert_fits(page, name):
    """No sideways scrolling of the page, nothing sticking out to the right."""
    found = page.evaluate(MEASURE)
    assert found["page"] <= found["window"], f"{name}: {found}"
    assert found["main"] <= 0, f"{name}: {found}"
    assert not found["sticking"], f"{name}: {found}"


def whole(page, screenshot, name):
    """A screenshot of everything, also what scrolls inside the workspace's main area."""
    size = page.viewport_size
    tall = page.evaluate(
        "() => Math.max(document.documentElement.scrollHeight,"
        " (document.querySelector('main') || document.body).scrollHeight)"
    )
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], tall)})
    screenshot(page, name)
    page.set_viewport_size(size)


@pytest.mark.parametrize("size", WIDTHS)
def test_every_survey_page_fits_in_german(answered, new_page, screenshot, max_manager, size):
    inbox, survey, invitation, open_one = answered
    width, height = WIDTHS[size]
    page = new_page(locale="de-DE", width=width, height=height)
    log_in(page, max_manager.email, PASSWORD, button="Anmelden")
    pages = {
        "list": "/campaigns/surveys/",
        "inbox-list": f"/campaigns/surveys/?inbox={inbox.pk}",
        "new": "/campaigns/surveys/new/",
        "edit": f"/campaigns/surveys/{survey.pk}/edit/",
        "results": f"/campaigns/surveys/{survey.pk}/",
        "delete": f"/campaigns/surveys/{survey.pk}/delete/",
        "send": f"/campaigns/surveys/send/{open_one.pk}/",
    }
    for name, path in pages.items():
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        whole(page, screenshot, f"survey-{name}-de-{size}")
        assert_fits(page, name)

    # The results' chart: most of its card's width beside its scale, tall enough to read,
    # a bar wide enough to see and to touch, all inside the window.
    page.goto(pages["results"])
    chart = page.locator("[data-chart]")
    box, card = chart.bounding_box(), page.locator(".survey-chart-card").bounding_box()
    assert box["width"] >= card["width"] * 0.6 and box["height"] >= 120
    assert box["x"] >= card["x"] and box["x"] + box["width"] <= card["x"] + card["width"]
    expect(page.locator(".survey-chart-scale")).to_contain_text("100 %")
    bar = page.locator("[data-chart] rect.survey-bar")
    expect(bar).to_have_count(1)
    assert bar.bounding_box()["width"] >= 4
    expect(page.get_by_text("Rücksendeetikettenausdruckmöglichkeit", exact=False)).to_be_visible()
    # The per-agent table scrolls inside its card when it must, never the page.
    table = page.locator("[data-agents]")
    table_box = table.bounding_box()
    assert table_box["x"] >= 0

    # The customer's page, as the customer sees it.
    customer = new_page(locale="de-DE", width=width, height=height)
    customer.goto(f"/s/{token_for(invitation.pk)}/")
    expect(customer.get_by_role("group")).to_contain_text("Wie zufrieden sind Sie")
    whole(customer, screenshot, f"survey-public-de-{size}")
    assert_fits(customer, "public")
    buttons = customer.locator(".survey-option span")
    for index in range(buttons.count()):
        button = buttons.nth(index).bounding_box()
        assert button["x"] >= 0 and button["x"] + button["width"] <= width
        assert button["height"] >= 44  # a thumb's target
