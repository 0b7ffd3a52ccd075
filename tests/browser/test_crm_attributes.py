"""A CRM batch through the real API (a token with attributes:write_crm, over HTTP to the live
server) updates a CRM-owned attribute; the agent then sees it in the contact panel read-only,
marked "from CRM" with the time of the sync, and the Profile form offers no field for it.
No console or CSP error on the way."""

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from api.actions import create_token
from contacts.models import AttributeDefinition
from tests.browser.pages import log_in
from tests.factories import PASSWORD, ContactFactory, identity

pytestmark = [pytest.mark.browser]


def _post(url: str, token: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - the live server
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - live server
        return response.status, json.loads(response.read())


def test_a_crm_batch_fills_an_attribute_that_the_agent_sees_read_only(
    transactional_db, ada, alice, live_server, new_page, screenshot
):
    AttributeDefinition.objects.create(
        key="customer_tier",
        label="Customer tier",
        type="choice",
        choices=["gold", "silver"],
        owner="crm",
        position=30,
    )
    jana = ContactFactory(first_name="Jana", last_name="Nowak", company="", kind="curated")
    identity(jana, "email", "jana@example.com")
    token = create_token(
        name="HubSpot sync",
        scopes=["contacts:write", "attributes:write_crm"],
        inboxes=[],
        expires_at=None,
        rate_limit=600,
        actor=ada,
    ).plaintext

    status, body = _post(
        f"{live_server.url}/api/v1/contacts/batch",
        token,
        {
            "items": [
                {
                    "ref": "hs-4711",
                    "external_id": "4711",
                    "source_system": "hubspot",
                    "email": "jana@example.com",
                    "attributes": {"customer_tier": "gold"},
                }
            ]
        },
    )
    assert status == 200, body
    assert body["results"][0]["status"] == "updated"

    page = new_page()
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/contacts/{jana.pk}/")
    page.get_by_role("link", name="Profile").click()
    row = page.locator('.attribute[data-key="customer_tier"]')
    expect(row).to_contain_text("gold")
    expect(row.locator("[data-crm-mark]")).to_have_text("from CRM")
    expect(row.locator("time")).to_be_visible()
    expect(page.locator(".profile-history")).to_contain_text("by HubSpot sync")
    screenshot(page, "crm-attribute-read-only")

    page.get_by_role("link", name="Edit profile").click()
    expect(page.get_by_label("First name")).to_be_visible()
    expect(page.locator('[name="customer_tier"]')).to_have_count(0)
    expect(page.get_by_text("cannot be changed here")).to_be_visible()
