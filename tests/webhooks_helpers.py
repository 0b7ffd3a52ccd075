"""Shared by the tests/test_webhooks_*.py files: the local receiver fixture and endpoints."""

import json

from standardwebhooks import Webhook

from tests.fakes.webhook_receiver import WebhookReceiver
from webhooks import actions
from webhooks.models import WebhookDelivery


def endpoint_for(actor, url, *, event_types=("*",), personal=False, description=""):
    """An enabled endpoint made the way the settings page makes it; (endpoint, secret)."""
    return actions.create_endpoint(
        url=url,
        description=description,
        event_types=list(event_types),
        include_personal_data=personal,
        actor=actor,
    )


def verified(secret, received):
    """The body of a received request, after standardwebhooks verified its signature."""
    return Webhook(secret).verify(received.body.decode(), received.headers)


def deliveries(endpoint):
    return list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id"))


def body(received):
    return json.loads(received.body)


__all__ = ["WebhookReceiver", "body", "deliveries", "endpoint_for", "verified"]
