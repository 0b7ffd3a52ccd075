"""Settings → Webhooks in real Chromium: an admin adds an endpoint pointing at the local
receiver, sees its secret once, sends a test event, sees it succeed in the delivery log and
replays it — without a console or CSP error; the pages fit at 1280 and 390 px."""

import pytest
from playwright.sync_api import expect
from standardwebhooks import Webhook

from tests.browser.pages import log_in
from tests.factories import PASSWORD
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.browser]


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_admin_adds_an_endpoint_tests_it_and_replays_the_delivery(
    transactional_db, ada, webhook_receiver, new_page, screenshot
):
    page = new_page(width=1280)
    log_in(page, ada.email, PASSWORD)
    page.goto("/settings/")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_text("No endpoints yet")).to_be_visible()

    page.get_by_role("link", name="Add endpoint").first.click()
    page.get_by_label("Endpoint URL").fill(webhook_receiver.url)
    page.get_by_label("Description").fill("Unser CRM")
    page.get_by_label("contact.created").check()
    page.get_by_label("webhook.test").count()  # not a choice: the test event always goes
    page.get_by_role("button", name="Add endpoint").click()

    secret_box = page.locator("#webhook-secret")
    expect(secret_box).to_contain_text("whsec_")
    secret = secret_box.inner_text().strip()
    Webhook(secret)  # a valid Standard Webhooks secret
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    assert fits(page)
    screenshot(page, "webhooks-secret")

    page.get_by_role("link", name="Done, go to the endpoint").click()
    expect(page.get_by_text("Nothing delivered yet")).to_be_visible()
    assert secret not in page.content()  # shown once only

    page.get_by_role("button", name="Send test event").click()
    row = page.locator("tr[data-delivery-status]").first
    expect(row).to_have_attribute("data-delivery-status", "succeeded")
    expect(row).to_contain_text("webhook.test")
    expect(row).to_contain_text("200")
    assert (
        Webhook(secret).verify(
            webhook_receiver.requests[0].body.decode(), webhook_receiver.requests[0].headers
        )["type"]
        == "webhook.test"
    )
    assert fits(page)
    screenshot(page, "webhooks-log")

    row.get_by_role("button", name="Replay").click()
    expect(page.get_by_text("The delivery is sent again.")).to_be_visible()
    expect(page.locator("tr[data-delivery-status]").first).to_have_attribute(
        "data-delivery-status", "succeeded"
    )
    assert len(webhook_receiver.requests) == 2
    assert WebhookDelivery.objects.get().attempts == 1

    page.get_by_role("link", name="How to verify a signature").click()
    expect(page.get_by_text("whsec_YOUR_SECRET").first).to_be_visible()
    expect(page.get_by_text(webhook_receiver.url).first).to_be_visible()


def test_the_pages_fit_a_phone_in_german(
    transactional_db, ada, webhook_receiver, new_page, screenshot
):
    from tests.webhooks_helpers import endpoint_for
    from webhooks import actions

    endpoint, _ = endpoint_for(ada, webhook_receiver.url + "/" + "sehr-langer-pfad" * 8)
    actions.send_test_event(endpoint, actor=ada)
    page = new_page(locale="de-DE", width=390, height=844)
    log_in(page, ada.email, PASSWORD, button="Anmelden")

    for path in [
        "/settings/webhooks/",
        f"/settings/webhooks/{endpoint.pk}/",
        "/settings/webhooks/new",
        f"/settings/webhooks/{endpoint.pk}/verify",
    ]:
        page.goto(path)
        assert fits(page), path
    screenshot(page, "webhooks-verify-390")
