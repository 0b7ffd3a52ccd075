"""Shared fixtures of the message assistant's tests: inbox A with Alice (member) and Max
(manager), the assistant switched on, an SMS campaign draft and a conversation; inbox B with
Bob; the fake OpenAI-compatible API (tests/fakes/openai_api.py) as the model."""

import json

import pytest

from campaigns.models import Campaign, CampaignSettings
from inbox.models import InboxChannel
from tests.factories import inbound, inbox_with


def variants(*texts):
    return json.dumps({"variants": [{"text": text} for text in texts]})


@pytest.fixture
def assistant_world(fake_openai, alice, bob, max_manager, organisation):
    inbox = inbox_with("Kundenservice", members=[alice], managers=[max_manager])
    other = inbox_with("Vertrieb", members=[bob])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")
    CampaignSettings.objects.for_inbox(inbox)
    CampaignSettings.objects.filter(inbox=inbox).update(
        assistant_enabled=True, insert_company_name=True
    )
    campaign = Campaign.objects.create(
        inbox=inbox, name="Frühling", channel="sms", type="marketing", body=""
    )
    message = inbound(
        inbox,
        body="Hallo, meine Bestellung 4711 ist nicht angekommen. Ruf mich an: +49 170 1234567, "
        "Mail jana@example.de, IBAN DE89 3704 0044 0532 0130 00",
    )
    return {
        "inbox": inbox,
        "other": other,
        "campaign": campaign,
        "conversation": message.conversation,
        "fake": fake_openai,
    }
