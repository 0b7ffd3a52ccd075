"""A campaign end to end in real Chromium (issue 10): Max, manager of inbox A, builds an
audience with a filter, writes a message with a contact variable that has a default, sees the
preview and the segment count, sends a test and launches; the report's progress moves live to
completed while the beat ticks; a recipient answers "ENDE" through the signed Twilio webhook
and gets the confirmation; the next campaign skips them with the reason shown; Alice, a
member, sees the campaign read-only; Bob, of inbox B, gets 404."""

import threading

import pytest
import requests
from playwright.sync_api import expect
from twilio.request_validator import RequestValidator

from campaigns import delivery
from campaigns.actions import campaigns as campaign_actions
from campaigns.models import Campaign, CampaignRecipient
from contacts.consent import Consent, ConsentSource, ConsentState, Purpose
from inbox.channels import locmem
from inbox.models import InboxChannel
from tests.browser.pages import log_in
from tests.factories import PASSWORD, ContactFactory, identity, inbox_with

pytestmark = [pytest.mark.browser]

TOKEN = "browser-test-twilio-token"
OUR_NUMBER = "+4930123456"


@pytest.fixture
def world(transactional_db, settings, live_server, alice, bob, max_manager):
    settings.SMS_BACKEND = "locmem"
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = live_server.url
    locmem.reset()
    inbox = inbox_with("Kundenservice", members=[alice], managers=[max_manager])
    inbox_with("Vertrieb", members=[bob])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address=OUR_NUMBER)
    people = [("Jana", "+49 170 1111111"), ("", "+49 170 2222222"), ("Lars", "+46 70 1234567")]
    for first_name, phone in people:
        person = ContactFactory(first_name=first_name, company="Nordlicht")
        Consent.objects.create(
            identity=identity(person, "phone", phone),
            purpose=Purpose.MARKETING_SMS,
            state=ConsentState.GRANTED,
            source=ConsentSource.FORM,
            evidence="Anmeldeformular",
        )
    ContactFactory(first_name="Otto", company="Elsewhere")
    yield inbox
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


def post_signed(url, params):
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)


def test_a_manager_runs_a_campaign_and_an_opt_out_holds(
    world, beat, live_server, new_page, screenshot, max_manager, alice, bob
):
    page = new_page()
    log_in(page, max_manager.email, PASSWORD)
    page.goto("/campaigns/")
    page.get_by_role("link", name="New campaign").first.click()
    page.locator("#id_inbox").select_option(label="Kundenservice")
    page.locator("#id_name").fill("Frühlingsaktion")
    page.locator("#id_channel").select_option("sms")
    page.get_by_role("button", name="Continue").click()

    # The audience: a filter on the company.
    page.locator("#rule-0-field").select_option(label="Company")
    page.locator("#rule-0-op").select_option("equals")
    page.locator("#rule-0-value").fill("Nordlicht")
    # The message, with the first name inserted from the menu and a default typed in it.
    body = page.locator("#id_body")
    body.fill("Hallo ")
    page.locator(".variables-menu summary").click()
    page.locator(".variable", has_text="First name").first.click()
    page.keyboard.type("Kundin")
    body.press("End")
    body.type(", 20 % auf alles bis Sonntag!")
    expect(body).to_have_value(
        'Hallo {{ contact.first_name | default: "Kundin" }}, 20 % auf alles bis Sonntag!'
    )
    # Any day and hour, ten a second: the test may run on a Sunday night.
    page.locator("#id_window_days_6").check()
    page.locator("#id_window_start").fill("00:00")
    page.locator("#id_window_end").fill("23:59")
    page.locator("#id_rate").fill("10")

    preview = page.locator("#campaign-preview")
    expect(preview).to_contain_text("3 contacts match")
    expect(preview).to_contain_text("Hallo Jana, 20 % auf alles bis Sonntag!")
    expect(page.locator(".segments")).to_contain_text("1 SMS")
    page.wait_for_timeout(1000)  # the preview follows typing after a pause
    preview.get_by_role("button", name="Next").click()
    expect(preview.locator(".campaign-bubble")).to_contain_text("Hallo Kundin")
    screenshot(page, "campaign-editor")

    page.locator("#test-to").fill("+49 170 9999999")
    page.get_by_role("button", name="Send test").click()
    expect(page.locator(".toast")).to_contain_text("Test sent to +491709999999")
    assert [s.to for s in locmem.outbox] == ["+491709999999"]

    page.get_by_role("button", name="Review and launch…").click()
    expect(page.locator("h1")).to_contain_text("Launch this campaign?")
    page.get_by_role("button", name="Send to 3 contacts now").click()
    status = page.locator("#campaign-report [data-status]")
    expect(status).to_have_attribute("data-status", "completed", timeout=20_000)
    expect(page.locator("[data-count=sent]")).to_have_text("3")
    screenshot(page, "campaign-report")
    sent = {s.to: s.body for s in locmem.outbox[1:]}
    # Marketing without an opt-out keyword in the text: the objection notice is added.
    notice = "\nAbmelden: Antwort STOP"
    assert sent["+491701111111"] == "Hallo Jana, 20 % auf alles bis Sonntag!" + notice
    assert sent["+491702222222"] == "Hallo Kundin, 20 % auf alles bis Sonntag!" + notice

    # Jana answers ENDE through Twilio's signed webhook and gets the confirmation.
    answer = post_signed(
        f"{live_server.url}/webhooks/twilio/",
        {
            "MessageSid": "SM" + "e" * 32,
            "AccountSid": "AC" + "f" * 32,
            "From": "+491701111111",
            "To": OUR_NUMBER,
            "Body": " Ende! ",
            "NumMedia": "0",
        },
    )
    assert answer.status_code == 200
    confirmation = [s for s in locmem.outbox if s.to == "+491701111111"][-1]
    assert confirmation.body != sent["+491701111111"]
    assert len([s for s in locmem.outbox if s.to == "+491701111111"]) == 2

    # The next campaign skips her, with the reason.
    first = Campaign.objects.get()
    second = campaign_actions.create_campaign(
        inbox=world, actor=max_manager, name="Sommeraktion", channel="sms", type="marketing"
    )
    campaign_actions.update_campaign(
        second,
        actor=max_manager,
        values={"body": "Sommer!", "audience": first.audience, "window_days": [], "rate": 10},
    )
    campaign_actions.launch_campaign(second, actor=max_manager)
    page.goto(f"/campaigns/{second.pk}/")
    expect(page.locator("#campaign-report")).to_contain_text("Opted out")
    jana = CampaignRecipient.objects.get(campaign=second, address="+491701111111")
    assert jana.skip_reason == "opted_out"

    # Alice sees it read-only; Bob does not see it at all.
    member = new_page()
    log_in(member, alice.email, PASSWORD)
    member.goto(f"/campaigns/{first.pk}/")
    expect(member.locator("#campaign-report")).to_contain_text("Completed")
    expect(member.get_by_role("button", name="Pause")).to_have_count(0)
    expect(member.get_by_role("link", name="Edit")).to_have_count(0)
    assert member.request.get(f"{live_server.url}/campaigns/{first.pk}/edit/").status == 403
    other = new_page()
    log_in(other, bob.email, PASSWORD)
    assert other.request.get(f"{live_server.url}/campaigns/{first.pk}/").status == 404
