"""Surveys in real Chromium: a customer answers a CSAT survey on its public page (on a
phone), another by SMS, and the manager sees the agent's score in the results chart."""

import pytest
from playwright.sync_api import expect

from inbox import actions
from inbox.channels import locmem
from inbox.models import InboxChannel
from surveys.links import token_for
from surveys.models import SurveyInvitation, SurveyResponse
from tests.browser.pages import log_in
from tests.factories import PASSWORD, ContactFactory, identity, inbound, inbox_with
from tests.surveys_helpers import survey_of

pytestmark = [pytest.mark.browser]


@pytest.fixture
def team(transactional_db, settings, alice, max_manager):
    settings.SMS_BACKEND = "locmem"
    locmem.reset()
    inbox = inbox_with("Kundenservice", members=[alice], managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")
    survey = survey_of(inbox, max_manager, name="Zufriedenheit nach dem Gespräch")
    yield inbox, survey
    locmem.reset()


def resolved_by(inbox, agent, address, *, language="en"):
    contact = ContactFactory(attributes={"language": language})
    identity(contact, "phone", address)
    conversation = inbound(inbox, address=address, body="Where is my parcel?").conversation
    actions.reply(conversation, body="It arrives tomorrow.", actor=agent)
    actions.set_status(conversation, status="resolved", actor=agent)
    return SurveyInvitation.objects.get(conversation=conversation)


def test_customers_answer_by_link_and_by_sms_and_the_score_shows(
    team, alice, max_manager, new_page, screenshot
):
    inbox, survey = team
    by_link = resolved_by(inbox, alice, "+49 170 1111111", language="de")
    by_sms = resolved_by(inbox, alice, "+49 170 2222222")
    assert by_link.status == by_sms.status == "sent"

    # The customer opens the e-mail's "5" on a phone: pre-filled, nothing recorded yet.
    phone = new_page(locale="de-DE", width=390, height=844)
    phone.goto(f"/s/{token_for(by_link.pk)}/5/")
    expect(phone.get_by_role("group")).to_contain_text("Wie zufrieden sind Sie")
    expect(phone.locator('input[name="score"][value="5"]')).to_be_checked()
    assert not SurveyResponse.objects.exists()
    phone.get_by_label("Was ist der wichtigste Grund").fill("Sehr schnelle Antwort")
    screenshot(phone, "survey-answer-phone")
    phone.get_by_role("button").click()
    expect(phone.locator('[data-outcome="recorded"]')).to_be_visible()

    # The other answers the SMS with a bare score: an answer, not a new conversation.
    answer = inbound(inbox, address="+49 170 2222222", body="4")
    assert answer.conversation_id == by_sms.conversation_id
    assert sorted(SurveyResponse.objects.values_list("score", flat=True)) == [4, 5]

    page = new_page()
    log_in(page, max_manager.email, PASSWORD)
    page.goto("/campaigns/")
    page.get_by_role("link", name="Surveys").click()
    page.get_by_role("link", name=survey.name).click()
    expect(page.locator("[data-figure]").first).to_have_text("100.0 %")
    expect(page.locator("[data-chart] rect.survey-bar")).to_have_count(1)
    expect(page.locator('[data-agent="Alice Agent"] [data-agent-figure]')).to_have_text("100.0 %")
    expect(page.locator("[data-response-rate]")).to_have_text("100.0 %")
    expect(page.get_by_text("Sehr schnelle Antwort")).to_be_visible()
    screenshot(page, "survey-results")

    # The agent sees the score in the thread.
    agent = new_page()
    log_in(agent, alice.email, PASSWORD)
    agent.goto(f"/inbox/c/{by_sms.conversation_id}/")
    expect(agent.locator("#thread-messages")).to_contain_text("Survey answer: CSAT 4 of 5")
