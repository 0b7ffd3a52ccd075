"""A survey campaign in real Chromium: Max starts it from the survey's page, writes the
message with `{{ survey.link }}` from the Variables menu, sees the preview's link, launches;
the beat sends each recipient their own link; Eva answers on her phone (German), Jan by SMS;
both answers appear in the survey's results under "Campaign · no agent"."""

import re
import threading

import pytest
from playwright.sync_api import expect

from campaigns import delivery
from contacts.consent import Consent, ConsentSource, ConsentState, Purpose
from inbox.channels import locmem
from inbox.models import InboxChannel
from surveys.models import SurveyResponse
from tests.browser.pages import log_in
from tests.factories import PASSWORD, ContactFactory, identity, inbound, inbox_with
from tests.surveys_helpers import survey_of

pytestmark = [pytest.mark.browser]

OUR_NUMBER = "+4930123456"
LINK = re.compile(r"https?://\S+/s/\d+-[0-9a-f]{12}/")


@pytest.fixture
def world(transactional_db, settings, live_server, alice, max_manager):
    settings.SMS_BACKEND = "locmem"
    settings.PUBLIC_BASE_URL = live_server.url
    locmem.reset()
    inbox = inbox_with("Kundenservice", members=[alice], managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address=OUR_NUMBER)
    survey = survey_of(inbox, max_manager, name="Zufriedenheit", on_resolve=False)
    for first_name, phone in [("Eva", "+49 170 1111111"), ("Jan", "+49 170 2222222")]:
        person = ContactFactory(
            first_name=first_name, company="Nordlicht", attributes={"language": "de"}
        )
        Consent.objects.create(
            identity=identity(person, "phone", phone),
            purpose=Purpose.MARKETING_SMS,
            state=ConsentState.GRANTED,
            source=ConsentSource.FORM,
            evidence="Kundenkonto",
        )
    yield inbox, survey
    locmem.reset()


@pytest.fixture
def beat():
    """The beat, as a thread: a pacing tick every half second while the test runs."""
    stop = threading.Event()

    def run():
        from django.db import connection

        while not stop.wait(0.5):
            delivery.tick()
        if connection.vendor != "sqlite":  # SQLite's test database is shared between threads
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(5)


def test_a_manager_sends_a_survey_campaign_and_the_answers_reach_the_results(
    world, beat, new_page, screenshot, max_manager
):
    inbox, survey = world
    page = new_page()
    log_in(page, max_manager.email, PASSWORD)
    page.goto(f"/campaigns/surveys/{survey.pk}/")
    page.get_by_role("link", name="Survey campaign…").click()
    expect(page.locator("#id_type")).to_have_value("survey")
    expect(page.locator("#id_inbox")).to_have_value(str(inbox.pk))
    page.locator("#id_name").fill("Umfrage Frühjahr")
    page.locator("#id_channel").select_option("sms")
    page.get_by_role("button", name="Continue").click()

    # The survey is chosen; without the link the message is refused with the reason.
    expect(page.locator("#id_content")).to_be_visible()
    expect(page.locator("#id_content")).to_have_value(str(survey.pk))
    page.locator("#rule-0-field").select_option(label="Company")
    page.locator("#rule-0-op").select_option("equals")
    page.locator("#rule-0-value").fill("Nordlicht")
    page.locator("#id_window_days_6").check()
    page.locator("#id_window_start").fill("00:00")
    page.locator("#id_window_end").fill("23:59")
    page.locator("#id_rate").fill("10")
    body = page.locator("#id_body")
    body.fill("Wie war unser Service? ")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".field-body .field-error")).to_contain_text("{{ survey.link }}")

    body = page.locator("#id_body")
    body.press("End")
    page.locator(".variables-menu summary").click()
    page.locator(".variable", has_text="Survey link").click()
    body.press("End")
    body.type(" Danke!")  # typing refreshes the preview
    expect(body).to_have_value("Wie war unser Service? {{ survey.link }} Danke!")
    preview = page.locator("#campaign-preview")
    expect(preview).to_contain_text("2 contacts match")
    expect(preview.locator(".campaign-bubble")).to_contain_text(
        f"{page.url.split('/campaigns')[0]}/s/p"
    )
    screenshot(page, "survey-campaign-editor")

    page.get_by_role("button", name="Review and launch…").click()
    expect(page.locator("h1")).to_contain_text("Launch this campaign?")
    expect(page.locator(".campaign-facts")).to_contain_text("Zufriedenheit")
    page.get_by_role("button", name="Send to 2 contacts now").click()
    status = page.locator("#campaign-report [data-status]")
    expect(status).to_have_attribute("data-status", "completed", timeout=20_000)
    expect(page.locator("[data-count=sent]")).to_have_text("2")

    sent = {s.to: s.body for s in locmem.outbox}
    links = {to: LINK.search(body).group(0) for to, body in sent.items()}
    assert len(set(links.values())) == 2  # a link of their own each
    assert all(body.endswith("Abmelden: Antwort STOP") for body in sent.values())

    # Eva answers on her phone, in German.
    phone = new_page(locale="de-DE", width=390, height=844)
    phone.goto(links["+491701111111"])
    expect(phone.get_by_role("group")).to_contain_text("Wie zufrieden sind Sie")
    phone.locator(".survey-option", has_text="4").click()
    phone.get_by_label("Was ist der wichtigste Grund").fill("Freundlich, aber langsam")
    phone.get_by_role("button").click()
    expect(phone.locator('[data-outcome="recorded"]')).to_be_visible()
    # Jan answers the SMS with a bare score.
    inbound(inbox, address="+49 170 2222222", body="5")
    assert sorted(SurveyResponse.objects.values_list("score", flat=True)) == [4, 5]

    page.locator("[data-campaign-content]").click()
    expect(page.locator("h1")).to_have_text("Zufriedenheit")
    expect(page.locator("[data-answers]")).to_have_text("2")
    expect(page.locator("[data-chart] rect.survey-bar")).to_have_count(1)
    expect(page.locator("[data-no-agent]")).to_have_text("Campaign · no agent")
    expect(page.get_by_text("Freundlich, aber langsam")).to_be_visible()
    screenshot(page, "survey-campaign-results")
