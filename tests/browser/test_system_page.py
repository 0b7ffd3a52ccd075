"""Settings → System in real Chromium: an admin opens it from the Settings navigation, sees
the queues with their workers' heartbeats and the provider configuration, and refreshes the
status in place (htmx) without a console or CSP error."""

import os
import uuid

import pytest
from playwright.sync_api import expect

from lib import heartbeats
from tests.browser.pages import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]


@pytest.fixture
def broker(settings, monkeypatch):
    """Real Redis when the run has one (CI), with queue names of this test alone; otherwise
    none, and the page says tasks run in-process."""
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        settings.REDIS_URL = ""
        yield None
        return
    import redis

    prefix = f"opsbrowser-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("CELERY_QUEUE", prefix)
    settings.REDIS_URL = redis_url
    settings.CELERY_WORKLOAD_QUEUES = {w: f"{prefix}.{w}" for w in ("realtime", "send")}
    heartbeats.beat(redis_url, "beat")
    heartbeats.beat(redis_url, "queue:send", waited=0.1)
    yield redis_url
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def test_an_admin_reads_the_system_status_and_refreshes_it(
    transactional_db, ada, broker, new_page, screenshot
):
    page = new_page()
    log_in(page, ada.email, PASSWORD)
    page.goto("/settings/")
    page.get_by_role("link", name="System").click()

    expect(page.get_by_role("heading", name="System", exact=True)).to_be_visible()
    if broker:
        expect(page.locator('#queues tr[data-queue="send"]')).to_contain_text("alive")
        expect(page.locator('#queues tr[data-queue="realtime"]')).to_contain_text("no heartbeat")
        expect(page.locator("#broker-state")).to_contain_text("alive")
    else:
        expect(page.locator("#broker-state")).to_contain_text("No REDIS_URL is set")
    expect(page.locator("#providers")).to_contain_text("SMS and WhatsApp")
    expect(page.locator('[data-count="stuck-queued"]')).to_have_text("0")
    screenshot(page, "settings-system")

    page.evaluate("document.querySelector('#version').dataset.before = 'yes'")
    page.get_by_role("link", name="Refresh").click()
    # Swapped in place: the marked element is gone, the page itself stayed.
    expect(page.locator("#version[data-before]")).to_have_count(0)
    expect(page.locator("#system-status")).to_be_visible()
    assert page.url.endswith("/settings/system/")
