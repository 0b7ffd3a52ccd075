"""The message assistant in real Chromium, with the fake OpenAI-compatible API as the model
(tests/fakes/openai_api.py; nothing reaches the network) and a real Celery worker, so the
page shows progress and polls for the answer:

- Max, manager of inbox A, drafts a campaign with the assistant, sees three variants with
  their segment counts, inserts one, edits it and launches; the recipients get the company
  name, the edited variant and the opt-out line.
- Alice, an agent, summarises a case: the summary appears as an internal comment written
  on her behalf, and nothing is sent to the customer."""

import threading

import pytest
from playwright.sync_api import expect

from campaigns import delivery
from campaigns.actions import campaigns as campaign_actions
from campaigns.models import CampaignSettings
from contacts.consent import Consent, ConsentSource, ConsentState, Purpose
from inbox.channels import locmem
from inbox.models import Comment, InboxChannel, Message
from tests.assistant_world import variants
from tests.browser.pages import log_in
from tests.factories import PASSWORD, ContactFactory, identity, inbound, inbox_with
from tests.fakes.openai_api import Reply

pytestmark = [pytest.mark.browser]

VARIANTS = [
    "Frühling bei uns: 20 % auf alle Räder bis Sonntag. Wir freuen uns auf Sie!",
    'Hallo {{ contact.first_name | default: "Kundin" }}, nur bis Sonntag 20 % auf alle Räder!',
    "Nur bis Sonntag: 20 % auf alle Räder. Kommen Sie vorbei!",
]


@pytest.fixture
def world(
    transactional_db, settings, live_server, fake_openai, alice, bob, max_manager, organisation
):
    settings.SMS_BACKEND = "locmem"
    settings.PUBLIC_BASE_URL = live_server.url
    locmem.reset()
    inbox = inbox_with("Kundenservice", members=[alice], managers=[max_manager])
    inbox_with("Vertrieb", members=[bob])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")
    CampaignSettings.objects.for_inbox(inbox)
    CampaignSettings.objects.filter(inbox=inbox).update(
        assistant_enabled=True, insert_company_name=True
    )
    for first_name, phone in [("Jana", "+49 170 1111111"), ("Lars", "+49 170 2222222")]:
        person = ContactFactory(first_name=first_name, company="Nordlicht")
        Consent.objects.create(
            identity=identity(person, "phone", phone),
            purpose=Purpose.MARKETING_SMS,
            state=ConsentState.GRANTED,
            source=ConsentSource.FORM,
            evidence="Anmeldeformular",
        )
    yield inbox
    locmem.reset()


@pytest.fixture
def beat():
    """The campaigns' pacing tick every half second while the test runs."""
    stop = threading.Event()

    def run():
        from django.db import connection

        while not stop.wait(0.5):
            delivery.tick()
        if connection.vendor != "sqlite":
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(5)


def test_a_manager_drafts_a_campaign_with_the_assistant_and_launches_it(
    world, celery_worker, beat, fake_openai, new_page, screenshot, max_manager
):
    campaign = campaign_actions.create_campaign(
        inbox=world, actor=max_manager, name="Frühlingsaktion", channel="sms", type="marketing"
    )
    # The model takes a moment: the page shows that it is working, then the answer.
    fake_openai.then(Reply(variants(*VARIANTS), prompt_tokens=300, completion_tokens=90, delay=1.5))
    page = new_page()
    log_in(page, max_manager.email, PASSWORD)
    page.goto(f"/campaigns/{campaign.pk}/edit/")

    panel = page.locator(".assistant-drafts")
    panel.locator("#assistant_topic").fill("Frühlingsaktion: 20 % auf alle Räder bis Sonntag")
    panel.locator("#assistant_tone").select_option("formal")
    panel.locator("#assistant_language").select_option("de")
    panel.locator("#assistant_price").fill("20 %")
    panel.locator("#assistant_date").fill("Sonntag")
    panel.get_by_role("button", name="Suggest three drafts").click()
    expect(panel.locator(".assistant-working")).to_be_visible()
    found = panel.locator(".assistant-variant")
    expect(found).to_have_count(3, timeout=15_000)
    for index in range(3):
        expect(found.nth(index).locator(".assistant-segments")).to_contain_text("1 SMS")
        expect(found.nth(index).get_by_role("button", name="Insert")).to_be_visible()
    screenshot(page, "assistant-campaign-drafts")
    # The prompt carried the budget: 160 less the prefix and the opt-out line.
    budget = 160 - len("Nordlicht GmbH: ") - len("\nAbmelden: Antwort STOP")
    assert f"{budget} characters" in fake_openai.requests[0]["messages"][0]["content"]

    found.nth(2).get_by_role("button", name="Insert").click()
    body = page.locator("#id_body")
    expect(body).to_have_value(VARIANTS[2])
    body.press("End")
    body.type(" Bis bald!")
    expect(page.locator(".segments")).to_contain_text("1 SMS")

    page.locator("#rule-0-field").select_option(label="Company")
    page.locator("#rule-0-op").select_option("equals")
    page.locator("#rule-0-value").fill("Nordlicht")
    page.locator("#id_window_days_6").check()
    page.locator("#id_window_start").fill("00:00")
    page.locator("#id_window_end").fill("23:59")
    page.locator("#id_rate").fill("10")
    expect(page.locator("#campaign-preview")).to_contain_text("2 contacts match")
    page.get_by_role("button", name="Review and launch…").click()
    expect(page.locator("h1")).to_contain_text("Launch this campaign?")
    page.get_by_role("button", name="Send to 2 contacts now").click()
    status = page.locator("#campaign-report [data-status]")
    expect(status).to_have_attribute("data-status", "completed", timeout=20_000)

    expected = f"Nordlicht GmbH: {VARIANTS[2]} Bis bald!\nAbmelden: Antwort STOP"
    assert sorted(s.body for s in locmem.outbox) == [expected, expected]
    assert len(fake_openai.requests) == 1  # the assistant asked once, and sent nothing


def test_an_agent_summarises_a_case_into_a_comment(
    world, celery_worker, fake_openai, new_page, screenshot, alice
):
    message = inbound(
        world,
        body="Hallo, mein Paket 4711 ist nicht angekommen. Ruf mich an: +49 170 1234567",
    )
    conversation = message.conversation
    fake_openai.then(
        Reply("Kundin vermisst Paket 4711 und bittet um Rückruf unter [PHONE_1].", delay=1)
    )
    messages_before = Message.objects.count()
    page = new_page()
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/inbox/c/{conversation.pk}/")

    tool = page.locator("details.assistant-tool")
    tool.locator("summary").click()
    tool.get_by_role("button", name="Summarise this case").click()
    done = tool.locator(".assistant-done")
    expect(done).to_contain_text("added to the conversation as an internal comment", timeout=15_000)
    done.get_by_role("link", name="Show it").click()
    comment = page.locator(".comment", has_text="Summary by the message assistant")
    expect(comment).to_contain_text("on behalf of Alice Agent")
    expect(comment).to_contain_text("Paket 4711")
    screenshot(page, "assistant-case-summary")

    saved = Comment.objects.get(conversation=conversation)
    assert saved.author == alice
    assert Message.objects.count() == messages_before  # nothing went to the customer
    assert "+49 170 1234567" not in fake_openai.requests[0]["messages"][1]["content"]


# The page and the workspace's scrolling area may not be wider than the window, nor may
# anything of the assistant's stick out of it.
MEASURE = """() => {
  const main = document.querySelector("main");
  const own = document.querySelectorAll(".assistant-drafts *, .assistant-tool *");
  const sticking = [...own].filter((el) => {
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
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}


def assert_fits(page, name):
    found = page.evaluate(MEASURE)
    assert found["page"] <= found["window"], f"{name}: {found}"
    assert found["main"] <= 0, f"{name}: {found}"
    assert not found["sticking"], f"{name}: {found}"


@pytest.mark.parametrize("size", WIDTHS)
def test_the_assistant_fits_in_german(
    world, celery_worker, fake_openai, new_page, screenshot, max_manager, size
):
    """A German manager at 1280 and 390 pixels: the draft panel with three answers (one
    failing, its German reasons shown), the reply box's tool opened, the request page."""
    max_manager.language = "de"
    max_manager.save(update_fields=["language"])
    campaign = campaign_actions.create_campaign(
        inbox=world, actor=max_manager, name="Frühlingsaktion", channel="sms", type="marketing"
    )
    long_bad = "Die Frühlingsaktion läuft bis Sonntag, besuchen Sie uns: evil.example/x " * 3
    fake_openai.then(
        Reply(variants(VARIANTS[0], long_bad, VARIANTS[2])),
        Reply(variants(VARIANTS[0], long_bad, VARIANTS[2])),
    )
    width, height = WIDTHS[size]
    page = new_page(locale="de-DE", width=width, height=height)
    log_in(page, max_manager.email, PASSWORD, button="Anmelden")

    page.goto(f"/campaigns/{campaign.pk}/edit/")
    panel = page.locator(".assistant-drafts")
    expect(panel.locator("h2")).to_have_text("Mit dem Assistenten entwerfen")
    panel.locator("#assistant_topic").fill("Frühlingsaktion: 20 % auf alle Räder bis Sonntag")
    panel.locator("button[type=submit]").click()
    expect(panel.locator(".assistant-variant")).to_have_count(3, timeout=15_000)
    expect(panel.locator(".assistant-problems")).to_contain_text("Zu lang")
    panel.scroll_into_view_if_needed()
    screenshot(page, f"assistant-drafts-de-{size}")
    assert_fits(page, "drafts")

    conversation = inbound(world, body="Hallo, wo bleibt mein Paket 4711?").conversation
    page.goto(f"/inbox/c/{conversation.pk}/")
    tool = page.locator("details.assistant-tool")
    tool.locator("summary").click()
    expect(tool.locator(".assistant-tool-panel")).to_be_visible()
    box = tool.locator(".assistant-tool-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, box
    assert box["y"] >= 0, box
    screenshot(page, f"assistant-reply-tool-de-{size}")
    tool.locator(f"#assistant-tone-{conversation.pk}").focus()
    page.keyboard.press("Escape")
    expect(tool.locator(".assistant-tool-panel")).to_be_hidden()
    expect(tool.locator("summary")).to_be_focused()
