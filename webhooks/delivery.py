"""Delivering webhooks: claim due rows, post each once per attempt, schedule the retries.

- `dispatch` (the beat's tick every second, and a nudge after each commit that wrote
  events) takes due deliveries — pending, or failed with their retry due — of enabled
  endpoints with `FOR UPDATE SKIP LOCKED`, so two dispatchers never take the same row,
  pushes their `next_attempt_at` out by HANDOFF (a lease: the next tick leaves them alone)
  and hands them to `deliver_batch` tasks, a few rows of one endpoint each: a slow endpoint
  holds up only its own batch, on the webhooks queue, never SMS.
- `deliver` claims one row with a conditional UPDATE (pending/failed → delivering, with a
  `lease_until`), so a task that runs twice posts once. Rows whose worker died mid-post are
  due again once their lease runs out (`recover_lost`): at least once, never lost;
  receivers deduplicate by `webhook-id`, as Standard Webhooks asks them to.
- 2xx is success. A redirect is a failure (never followed). 410 Gone disables the
  endpoint. Anything else is retried on RETRY_DELAYS (with jitter) and after the last
  one the delivery gives up, the endpoint is disabled and the admins are e-mailed.
"""

import json
import logging
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from standardwebhooks import Webhook

from lib.metrics import WEBHOOK_DELIVERIES
from webhooks import outbox, transport
from webhooks.models import (
    DeliveryStatus,
    DisabledReason,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from webhooks.payloads import merged
from webhooks.secrets import UnreadableSecret

logger = logging.getLogger("switchboard.webhooks")

# The Standard Webhooks schedule: the first attempt at once, then a retry this many seconds
# after each failure: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1  # ± this share of each delay, so failed deliveries do not all retry together
# A row handed to a task is not due again for this long (the task was lost).
HANDOFF = timedelta(seconds=60)
# A row being posted whose worker died is due again after its lease (well above the timeout).
LEASE = timedelta(seconds=90)
DISPATCH_LIMIT = 500
BATCH = 10
DUE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


def retry_delay(attempts: int) -> timedelta | None:
    """How long after failed attempt number `attempts` the next one is; None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[attempts - 1]
    return timedelta(seconds=base * random.uniform(1 - JITTER, 1 + JITTER))  # noqa: S311


def dispatch(now: Any = None, *, limit: int = DISPATCH_LIMIT) -> int:
    """Hand due deliveries to workers; returns how many."""
    from webhooks import tasks

    now = now or timezone.now()
    recover_lost(now)
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.filter(
                status__in=DUE, next_attempt_at__lte=now, endpoint__enabled=True
            )
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", "endpoint_id")[:limit]
        )
        if not due:
            return 0
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _endpoint in due]).update(
            next_attempt_at=now + HANDOFF
        )
    by_endpoint: dict[int, list[int]] = {}
    for pk, endpoint_id in due:
        by_endpoint.setdefault(endpoint_id, []).append(pk)
    for ids in by_endpoint.values():
        for start in range(0, len(ids), BATCH):
            tasks.publish_batch(ids[start : start + BATCH])
    return len(due)


def recover_lost(now: Any) -> int:
    """Rows left `delivering` past their lease (the worker died mid-post) are due again."""
    return WebhookDelivery.objects.filter(
        status=DeliveryStatus.DELIVERING, lease_until__lt=now
    ).update(status=DeliveryStatus.FAILED, next_attempt_at=now, error="worker lost")


def deliver_batch(delivery_ids: list[int]) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    for delivery_id in delivery_ids:
        outcome = deliver(delivery_id) or "not_claimed"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def claim(delivery_id: int, now: Any) -> bool:
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id, status__in=DUE, endpoint__enabled=True
        ).update(
            status=DeliveryStatus.DELIVERING,
            attempts=F("attempts") + 1,
            lease_until=now + LEASE,
            attempted_at=now,
        )
    )


def body_for(event: WebhookEvent, endpoint: WebhookEndpoint) -> str:
    data = event.payload
    if endpoint.include_personal_data and event.personal:
        data = merged(event.payload, event.personal)
    return json.dumps(
        {"type": event.type, "timestamp": event.created_at.isoformat(), "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
        sort_keys=True,
    )


def signed_headers(
    endpoint: WebhookEndpoint, msg_id: str, body: str, at: datetime
) -> dict[str, str]:
    """The Standard Webhooks headers; during a rotation both secrets sign (space-separated)."""
    stamp = datetime.fromtimestamp(int(at.timestamp()), tz=UTC)
    signatures = [
        Webhook(secret).sign(msg_id, stamp, body) for secret in endpoint.signing_secrets(at)
    ]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": "Switchboard-Webhooks/1.0",
    }


def deliver(delivery_id: int) -> str | None:
    """Claim the delivery and post it once; the outcome, or None when it was not ours."""
    now = timezone.now()
    if not claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    endpoint, event = delivery.endpoint, delivery.event
    body = body_for(event, endpoint)
    try:
        headers = signed_headers(endpoint, event.msg_id, body, now)
    except UnreadableSecret:
        answer = transport.Answer(None, 0, error="secret unreadable: rotate the secret")
    else:
        answer = transport.post(endpoint.url, body.encode(), headers)
    return record(delivery, answer)


def record(delivery: WebhookDelivery, answer: transport.Answer) -> str:
    now = timezone.now()
    fields: dict[str, Any] = {
        "last_status_code": answer.status,
        "duration_ms": answer.duration_ms,
        "response_snippet": answer.snippet,
        "error": answer.error[:300],
        "lease_until": None,
    }
    status = answer.status
    if status is not None and 200 <= status < 300:
        _finish(delivery, status=DeliveryStatus.SUCCEEDED, succeeded_at=now, **fields)
        WEBHOOK_DELIVERIES.labels(outcome="delivered").inc()
        return DeliveryStatus.SUCCEEDED
    if status is not None and 300 <= status < 400:
        fields["error"] = "redirect not followed"
    if status == 410:
        fields["error"] = "410 Gone: the endpoint was disabled"
        with transaction.atomic():
            _finish(delivery, status=DeliveryStatus.GAVE_UP, next_attempt_at=None, **fields)
            disable_automatically(delivery.endpoint_id, DisabledReason.GONE)
        WEBHOOK_DELIVERIES.labels(outcome="gave_up").inc()
        return DeliveryStatus.GAVE_UP
    delay = retry_delay(delivery.attempts)
    if delay is None:
        with transaction.atomic():
            _finish(delivery, status=DeliveryStatus.GAVE_UP, next_attempt_at=None, **fields)
            disable_automatically(delivery.endpoint_id, DisabledReason.GAVE_UP)
        WEBHOOK_DELIVERIES.labels(outcome="gave_up").inc()
        return DeliveryStatus.GAVE_UP
    _finish(delivery, status=DeliveryStatus.FAILED, next_attempt_at=now + delay, **fields)
    WEBHOOK_DELIVERIES.labels(outcome="failed").inc()
    logger.info(
        "webhook delivery %s: attempt %s failed (%s), retry in %ss",
        delivery.pk,
        delivery.attempts,
        status or answer.error,
        int(delay.total_seconds()),
    )
    return DeliveryStatus.FAILED


def _finish(delivery: WebhookDelivery, **fields: Any) -> None:
    # Only the attempt that holds the row writes its outcome (a replay meanwhile wins).
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.DELIVERING).update(
        **fields
    )


def disable_automatically(endpoint_id: int, reason: str) -> bool:
    """Disable the endpoint (410 Gone, or a delivery that gave up) and e-mail the admins,
    once: only the change that flips it from enabled writes the event and the e-mail."""
    from webhooks import tasks
    from webhooks.models import EndpointEvent

    now = timezone.now()
    changed = WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=True).update(
        enabled=False, disabled_reason=reason, disabled_at=now, updated_at=now
    )
    if not changed:
        return False
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    outbox.forget_endpoints(endpoint.organisation_id)
    EndpointEvent.objects.create(
        endpoint=endpoint,
        url=endpoint.url,
        kind=EndpointEvent.Kind.DISABLED,
        data={"reason": reason},
    )
    tasks.send_disabled_notice.delay_on_commit(endpoint_id)
    return True
