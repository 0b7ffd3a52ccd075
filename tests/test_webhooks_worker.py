"""The task path with a real Celery worker: a committed change is nudged to the webhooks
queue, dispatched, posted to the local receiver and recorded; a disabled endpoint's admins
get their e-mail from the send queue's task."""

import time

import pytest
from django.core import mail

from contacts import actions as contact_actions
from tests.webhooks_helpers import deliveries, endpoint_for, verified
from webhooks.models import DeliveryStatus, WebhookEndpoint

pytestmark = pytest.mark.worker


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_committed_change_is_delivered_by_the_worker(celery_worker, ada, webhook_receiver):
    endpoint, secret = endpoint_for(ada, webhook_receiver.url)

    contact = contact_actions.create_contact(actor=ada, first_name="Erika")

    assert wait_for(lambda: len(webhook_receiver.requests) == 1), "nothing was delivered"
    event = verified(secret, webhook_receiver.requests[0])
    assert event["data"]["contact"]["id"] == contact.pk
    assert wait_for(lambda: deliveries(endpoint)[0].status == DeliveryStatus.SUCCEEDED)


def test_a_gone_endpoint_is_disabled_and_the_admins_are_told(celery_worker, ada, webhook_receiver):
    endpoint, _secret = endpoint_for(ada, webhook_receiver.url)
    webhook_receiver.always(410)

    contact_actions.create_contact(actor=ada, first_name="Erika")

    assert wait_for(lambda: not WebhookEndpoint.objects.get(pk=endpoint.pk).enabled)
    assert wait_for(lambda: len(mail.outbox) == 1), "the admins were not e-mailed"
    assert mail.outbox[0].to == [ada.email]
