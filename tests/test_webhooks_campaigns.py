"""campaign.recipient.updated: one event per batch of recipients, not one per row, and one
per provider callback that moved a recipient forward."""

import pytest
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from campaigns import delivery
from campaigns.models import CampaignRecipient
from inbox.channels import locmem
from inbox.models import InboxChannel
from tests.factories import inbox_with
from tests.test_campaign_delivery import OUR_NUMBER, customers, early_in_a_window, launched
from tests.webhooks_helpers import endpoint_for
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _campaign_world(monkeypatch, settings):
    """As in tests/test_campaign_delivery.py: on-commit work runs at once, a budget of this
    test's own, SMS into locmem."""
    monkeypatch.setattr(
        "django.db.transaction.on_commit", lambda func, using=None, robust=False: func()
    )
    limiter = MovingWindowRateLimiter(MemoryStorage())
    monkeypatch.setattr(delivery, "_limiter", lambda: limiter)
    settings.SMS_BACKEND = "locmem"
    locmem.reset()
    yield
    locmem.reset()


@pytest.fixture
def inbox_a(max_manager):
    inbox = inbox_with("Service", managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address=OUR_NUMBER)
    return inbox


@pytest.fixture(autouse=True)
def _public_dns(monkeypatch):
    monkeypatch.setattr("webhooks.ssrf.resolve", lambda host, port: ["93.184.215.14"])


def test_a_tick_sends_a_batch_and_emits_one_event_for_it(ada, inbox_a, max_manager):
    endpoint_for(ada, "https://crm.example.com/h", event_types=["campaign.recipient.updated"])
    customers(4)
    campaign = launched(inbox_a, max_manager, rate=10)
    early_in_a_window()

    assert delivery.tick() == 4

    [event] = WebhookEvent.objects.all()
    assert event.payload["campaign_id"] == campaign.pk
    sent = {row["id"]: row["status"] for row in event.payload["recipients"]}
    assert sent == dict(
        CampaignRecipient.objects.filter(campaign=campaign).values_list("id", "status")
    )
    assert set(sent.values()) == {"sent"}
    assert "+49" not in str(event.payload)  # addresses only with personal data


def test_a_delivery_callback_emits_the_recipient(ada, inbox_a, max_manager):
    endpoint_for(ada, "https://crm.example.com/h", event_types=["campaign.recipient.updated"])
    customers(1)
    campaign = launched(inbox_a, max_manager, rate=10)
    early_in_a_window()
    delivery.tick()
    recipient = CampaignRecipient.objects.get(campaign=campaign)

    assert delivery.record_status(recipient, "delivered")
    assert not delivery.record_status(recipient, "sent")

    _batch, callback = WebhookEvent.objects.order_by("id")
    assert callback.payload["recipients"][0]["status"] == "delivered"
