"""Delivering webhooks to a local receiver: Standard Webhooks signatures, the retry
schedule, 410 Gone, redirects, timeouts, giving up, rotation, replays and the test event."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from lib.events import emit
from lib.metrics import WEBHOOK_DELIVERIES
from tests.factories import ContactFactory
from tests.webhooks_helpers import body, deliveries, endpoint_for, verified
from webhooks import actions, delivery
from webhooks.models import DeliveryStatus, EndpointEvent, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


def _contact_created():
    contact = ContactFactory(first_name="Erika", last_name="Mustermann")
    emit(1, "contact.created", {"contact": contact.pk}, personal=True)
    return contact


def _run_due(now=None):
    """What the beat's tick does; tasks run in-process (eager) in these tests."""
    return delivery.dispatch(now or timezone.now())


def _make_due(row):
    type(row).objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())


def test_a_delivery_is_signed_so_that_standardwebhooks_verifies_it(ada, webhook_receiver):
    endpoint, secret = endpoint_for(ada, webhook_receiver.url)
    contact = _contact_created()

    assert _run_due() == 1

    [received] = webhook_receiver.requests
    event = verified(secret, received)
    assert event["type"] == "contact.created"
    assert event["data"]["contact"]["id"] == contact.pk
    stored = WebhookEvent.objects.get()
    assert received.headers["webhook-id"] == stored.msg_id
    assert stored.msg_id.startswith("msg_")
    assert received.path == "/hooks/switchboard"
    [row] = deliveries(endpoint)
    assert row.status == DeliveryStatus.SUCCEEDED
    assert row.attempts == 1
    assert row.last_status_code == 200
    assert row.duration_ms is not None
    assert row.response_snippet == '{"ok": true}'


def test_a_wrong_secret_does_not_verify(ada, webhook_receiver):
    endpoint_for(ada, webhook_receiver.url)
    _contact_created()
    _run_due()

    other = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    with pytest.raises(WebhookVerificationError):
        verified(other, webhook_receiver.requests[0])


def test_during_a_rotation_both_secrets_sign_for_24_hours(ada, webhook_receiver):
    endpoint, old_secret = endpoint_for(ada, webhook_receiver.url)
    new_secret = actions.rotate_secret(endpoint, actor=ada)
    _contact_created()
    _run_due()

    received = webhook_receiver.requests[0]
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    assert verified(old_secret, received)["type"] == "contact.created"
    assert verified(new_secret, received)["type"] == "contact.created"

    endpoint.refresh_from_db()
    assert endpoint.previous_secret_expires_at - timezone.now() > timedelta(hours=23, minutes=59)
    later = timezone.now() + timedelta(hours=24, minutes=1)
    assert len(endpoint.signing_secrets(later)) == 1
    assert EndpointEvent.objects.filter(kind="secret_rotated", endpoint=endpoint).exists()


def test_after_the_grace_period_only_the_new_secret_signs(ada, webhook_receiver):
    endpoint, old_secret = endpoint_for(ada, webhook_receiver.url)
    new_secret = actions.rotate_secret(endpoint, actor=ada)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    _contact_created()
    _run_due()

    received = webhook_receiver.requests[0]
    assert verified(new_secret, received)
    with pytest.raises(WebhookVerificationError):
        verified(old_secret, received)


def test_the_secret_is_stored_encrypted(ada, webhook_receiver):
    endpoint, secret = endpoint_for(ada, webhook_receiver.url)

    stored = WebhookEndpoint.objects.values_list("secret_encrypted", flat=True).get()
    assert secret.startswith("whsec_")
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    assert endpoint.signing_secrets() == [secret]
    Webhook(secret)  # a valid Standard Webhooks secret


def test_failures_are_retried_on_the_schedule_until_it_succeeds(ada, webhook_receiver):
    endpoint, secret = endpoint_for(ada, webhook_receiver.url)
    webhook_receiver.fail(times=2, status=503)
    _contact_created()
    before = WEBHOOK_DELIVERIES.labels(outcome="failed")._value.get()

    _run_due()
    [row] = deliveries(endpoint)
    assert row.status == DeliveryStatus.FAILED
    assert row.last_status_code == 503
    assert row.response_snippet == "<b>nope</b>"  # control characters dropped
    wait = row.next_attempt_at - row.attempted_at
    assert timedelta(seconds=4.4) <= wait <= timedelta(seconds=5.6)  # 5 s with jitter

    assert _run_due() == 0  # not due yet
    _make_due(row)
    _run_due()
    row.refresh_from_db()
    assert row.attempts == 2
    wait = row.next_attempt_at - row.attempted_at
    assert timedelta(minutes=4.4) <= wait <= timedelta(minutes=5.6)  # then 5 minutes

    _make_due(row)
    _run_due()
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SUCCEEDED
    assert row.attempts == 3
    ids = {r.headers["webhook-id"] for r in webhook_receiver.requests}
    assert len(webhook_receiver.requests) == 3 and len(ids) == 1  # one event, three attempts
    assert all(verified(secret, r) for r in webhook_receiver.requests)
    assert WEBHOOK_DELIVERIES.labels(outcome="failed")._value.get() == before + 2


def test_the_schedule_is_the_standard_webhooks_one():
    delays = [delivery.RETRY_DELAYS[n] for n in range(9)]

    assert delays == [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    assert delivery.MAX_ATTEMPTS == 10
    assert delivery.retry_delay(10) is None
    for attempt, base in enumerate(delays, start=1):
        seconds = delivery.retry_delay(attempt).total_seconds()
        assert base * 0.9 <= seconds <= base * 1.1


def test_410_gone_disables_the_endpoint(ada, webhook_receiver):
    endpoint, _secret = endpoint_for(ada, webhook_receiver.url)
    webhook_receiver.always(410)
    _contact_created()

    with pytest.MonkeyPatch.context():
        _run_due()

    [row] = deliveries(endpoint)
    endpoint.refresh_from_db()
    assert row.status == DeliveryStatus.GAVE_UP
    assert not endpoint.enabled
    assert endpoint.disabled_reason == "gone"
    _contact_created()
    assert _run_due() == 0  # a disabled endpoint gets nothing


def test_a_redirect_counts_as_a_failure_and_is_not_followed(ada, webhook_receiver):
    endpoint, _secret = endpoint_for(ada, webhook_receiver.url)
    webhook_receiver.always(302)
    _contact_created()

    _run_due()

    [row] = deliveries(endpoint)
    assert row.status == DeliveryStatus.FAILED
    assert row.last_status_code == 302
    assert "redirect" in row.error
    assert len(webhook_receiver.requests) == 1


def test_an_endpoint_that_does_not_answer_in_time_fails(ada, webhook_receiver, settings):
    settings.WEBHOOKS_TIMEOUT = 0.3
    endpoint, _secret = endpoint_for(ada, webhook_receiver.url)
    webhook_receiver.hang(seconds=1.5)
    _contact_created()

    _run_due()

    [row] = deliveries(endpoint)
    assert row.status == DeliveryStatus.FAILED
    assert row.last_status_code is None
    assert "0.3" in row.error
    assert row.duration_ms < 1400


def test_the_timeout_is_15_seconds_by_default():
    from django.conf import settings

    assert settings.WEBHOOKS_TIMEOUT == 15.0


def test_after_the_last_retry_it_gives_up_disables_and_emails_the_admins(
    ada, webhook_receiver, django_capture_on_commit_callbacks
):
    endpoint, _secret = endpoint_for(ada, webhook_receiver.url)
    webhook_receiver.always(500)
    _contact_created()
    [row] = deliveries(endpoint)
    type(row).objects.filter(pk=row.pk).update(attempts=delivery.MAX_ATTEMPTS - 1)

    with django_capture_on_commit_callbacks(execute=True):
        _run_due()

    row.refresh_from_db()
    endpoint.refresh_from_db()
    assert row.status == DeliveryStatus.GAVE_UP
    assert row.attempts == delivery.MAX_ATTEMPTS
    assert not endpoint.enabled
    assert endpoint.disabled_reason == "gave_up"
    [email] = mail.outbox
    assert email.to == [ada.email]
    assert webhook_receiver.url in email.subject
    assert f"/settings/webhooks/{endpoint.pk}/" in email.body
    assert EndpointEvent.objects.filter(kind="disabled", endpoint=endpoint).exists()


def test_the_notice_goes_to_the_send_queue():
    from django.conf import settings

    routes = settings.CELERY_TASK_ROUTES
    queues = settings.CELERY_WORKLOAD_QUEUES
    assert routes["webhooks.tasks.send_disabled_notice"]["queue"] == queues["send"]
    assert routes["webhooks.tasks.*"]["queue"] == queues["webhooks"]
    assert settings.CELERY_BEAT_SCHEDULE["webhooks-tick"]["options"]["expires"]


def test_replaying_one_delivery_sends_it_again(ada, webhook_receiver):
    endpoint, secret = endpoint_for(ada, webhook_receiver.url)
    _contact_created()
    _run_due()
    [row] = deliveries(endpoint)

    actions.replay_delivery(row, actor=ada)
    _run_due()

    row.refresh_from_db()
    assert row.status == DeliveryStatus.SUCCEEDED
    first, second = webhook_receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert verified(secret, second)


def test_replay_all_failed_since_a_time_resets_them_in_one_go(ada, webhook_receiver):
    endpoint, _secret = endpoint_for(ada, webhook_receiver.url)
    webhook_receiver.always(500)
    for _ in range(3):
        _contact_created()
    _run_due()
    rows = deliveries(endpoint)
    type(rows[0]).objects.filter(pk=rows[0].pk).update(
        created_at=timezone.now() - timedelta(days=2), status=DeliveryStatus.GAVE_UP
    )
    webhook_receiver.always(200)

    count = actions.replay_failed_since(
        endpoint, since=timezone.now() - timedelta(hours=1), actor=ada
    )
    _run_due()

    assert count == 2
    statuses = [r.status for r in deliveries(endpoint)]
    assert statuses == [DeliveryStatus.GAVE_UP, DeliveryStatus.SUCCEEDED, DeliveryStatus.SUCCEEDED]
    assert EndpointEvent.objects.filter(kind="replayed", data__count=2).exists()


def test_the_test_event_reaches_only_its_endpoint(ada, webhook_receiver):
    endpoint, secret = endpoint_for(ada, webhook_receiver.url, event_types=["message.created"])
    other, _ = endpoint_for(ada, webhook_receiver.url + "/other")

    actions.send_test_event(endpoint, actor=ada)
    _run_due()

    [received] = webhook_receiver.requests
    assert received.path == "/hooks/switchboard"
    assert verified(secret, received)["type"] == "webhook.test"
    assert deliveries(other) == []


def test_a_task_that_runs_twice_posts_once(ada, webhook_receiver):
    endpoint, _secret = endpoint_for(ada, webhook_receiver.url)
    _contact_created()
    [row] = deliveries(endpoint)

    assert delivery.deliver(row.pk) == DeliveryStatus.SUCCEEDED
    assert delivery.deliver(row.pk) is None
    assert len(webhook_receiver.requests) == 1


def test_a_delivery_whose_worker_died_is_delivered_again(ada, webhook_receiver):
    endpoint, _secret = endpoint_for(ada, webhook_receiver.url)
    _contact_created()
    [row] = deliveries(endpoint)
    assert delivery.claim(row.pk, timezone.now() - timedelta(minutes=5))  # claimed, then lost

    _run_due()

    row.refresh_from_db()
    assert row.status == DeliveryStatus.SUCCEEDED
    assert row.attempts == 2


def test_the_body_has_type_timestamp_and_data(ada, webhook_receiver):
    endpoint_for(ada, webhook_receiver.url)
    _contact_created()
    _run_due()

    sent = body(webhook_receiver.requests[0])
    assert set(sent) == {"type", "timestamp", "data"}
    assert sent["timestamp"] == WebhookEvent.objects.get().created_at.isoformat()
