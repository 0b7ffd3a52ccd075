"""SMS end to end in real Chromium: a message Twilio posts to our webhook appears live in the
agent's list; the agent replies, and the delivery status in the thread moves on when Twilio's
status callback arrives — no reload."""

import pytest
import requests
from playwright.sync_api import expect
from twilio.request_validator import RequestValidator

from inbox.channels import locmem
from inbox.models import Conversation, Inbox, InboxChannel, InboxRole, Membership, Message
from tests.browser.pages import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]

TOKEN = "browser-test-twilio-token"


@pytest.fixture
def service(transactional_db, settings, live_server, alice):
    settings.SMS_BACKEND = "locmem"
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = live_server.url
    locmem.reset()
    inbox = Inbox.objects.create(name="Kundenservice", mode="open")
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")
    Membership.objects.create(inbox=inbox, user=alice, role=InboxRole.MEMBER)
    yield inbox, alice
    locmem.reset()


def post_signed(url: str, params: dict[str, str]) -> requests.Response:
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)


def test_an_inbound_sms_appears_live_and_the_reply_shows_its_delivery(
    service, live_server, new_page, screenshot
):
    _inbox, alice = service
    page = new_page()
    log_in(page, alice.email, PASSWORD)
    expect(page.locator(".conv-row")).to_have_count(0)

    answer = post_signed(
        f"{live_server.url}/webhooks/twilio/",
        {
            "MessageSid": "SM" + "1" * 32,
            "AccountSid": "AC" + "f" * 32,
            "From": "+491701234567",
            "To": "+4930123456",
            "Body": "Hallo, ist meine Bestellung 4711 schon unterwegs?",
            "NumMedia": "0",
        },
    )
    assert answer.status_code == 200 and "<Response></Response>" in answer.text

    row = page.locator(".conv-row").first
    expect(row).to_contain_text("Bestellung 4711", timeout=10_000)
    screenshot(page, "sms-inbound-live")
    conversation = Conversation.objects.get()
    row.locator("a.conv-link").click()
    page.wait_for_url(f"**/inbox/c/{conversation.pk}/")

    page.locator("textarea[data-composer]").fill("Ja, sie kommt morgen. Viele Grüße")
    page.get_by_role("button", name="Send").click()
    reply = page.locator(".msg-out").last
    expect(reply.locator("[data-delivery]")).to_have_text("Sent")
    [sent] = locmem.outbox
    assert (sent.to, sent.from_) == ("+491701234567", "+4930123456")

    status = post_signed(
        f"{live_server.url}/webhooks/twilio/status/?message={sent.message_id}",
        {"MessageSid": sent.sid, "MessageStatus": "delivered", "To": "+491701234567"},
    )
    assert status.status_code in (200, 204)
    expect(reply.locator("[data-delivery]")).to_have_text("Delivered", timeout=10_000)
    screenshot(page, "sms-reply-delivered")

    # An out-of-order "sent" afterwards changes nothing.
    post_signed(
        f"{live_server.url}/webhooks/twilio/status/?message={sent.message_id}",
        {"MessageSid": sent.sid, "MessageStatus": "sent", "To": "+491701234567"},
    )
    assert Message.objects.get(pk=sent.message_id).status == "delivered"


def test_a_failed_reply_shows_the_reason_and_retry_sends_it(service, new_page, screenshot):
    from inbox.actions import IncomingMessage, receive_message
    from inbox.channels import PermanentFailure

    inbox, alice = service
    conversation = receive_message(
        IncomingMessage(
            inbox=inbox,
            channel="sms",
            address="+491701234567",
            body="Bitte rufen Sie mich an.",
            provider="twilio",
            provider_message_id="SM" + "2" * 32,
            inbox_channel=inbox.channels.get(),
        )
    ).message.conversation
    locmem.failures.append(PermanentFailure("Twilio 400: Unreachable destination", "30003"))
    page = new_page()
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/inbox/c/{conversation.pk}/")

    page.locator("textarea[data-composer]").fill("Wir rufen Sie gleich an.")
    page.get_by_role("button", name="Send").click()
    reply = page.locator(".msg-out").last
    expect(reply.locator("[data-delivery]")).to_have_text("Failed")
    expect(reply.locator(".msg-problem")).to_contain_text("Not delivered.")
    expect(reply.locator(".msg-problem")).to_contain_text("Unreachable destination")
    expect(reply.locator(".msg-problem")).to_contain_text("Error code 30003")
    screenshot(page, "sms-reply-failed")

    reply.get_by_role("button", name="Retry").click()
    expect(page.locator(".msg-out").last.locator("[data-delivery]")).to_have_text("Sent")
    assert [sent.body for sent in locmem.outbox] == ["Wir rufen Sie gleich an."]
