"""The outbox: the lib.events sink that turns an emitted event into rows, in the emitting
transaction (registered in WebhooksConfig.ready).

One WebhookEvent per event, and one WebhookDelivery per enabled endpoint of the
organisation that subscribes to its type, inserted in one statement. Nothing at all is
written when no endpoint wants the event (most changes in most installations), which
costs one small indexed query. After commit a nudge publishes the dispatch task once per
transaction, so a delivery normally starts within milliseconds; the beat's tick picks up
whatever the nudge missed (the broker was down).
"""

import logging
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction

from lib.events import Event
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.payloads import BUILDERS

logger = logging.getLogger("switchboard.webhooks")

# The enabled endpoints of an organisation, cached: every change in the app emits an event,
# and most installations have no endpoint at all. Every change of an endpoint forgets the
# entry after its commit (forget_endpoints); the time limit only bounds a missed one.
ENDPOINTS_KEY = "webhooks:enabled-endpoints:{}"
ENDPOINTS_TTL = 30


def _enabled_endpoints(organisation_id: int) -> list[WebhookEndpoint]:
    key = ENDPOINTS_KEY.format(organisation_id)
    try:
        cached = cache.get(key)
    except Exception:  # the cache (Redis) away: ask the database
        cached = None
    if cached is None:
        enabled = WebhookEndpoint.objects.filter(organisation_id=organisation_id, enabled=True)
        cached = list(enabled.values_list("id", "event_types", "include_personal_data"))
        try:
            cache.set(key, cached, ENDPOINTS_TTL)
        except Exception:
            logger.warning("webhook endpoints not cached (the cache does not answer)")
    return [
        WebhookEndpoint(pk=pk, event_types=types, include_personal_data=personal)
        for pk, types, personal in cached
    ]


def forget_endpoints(organisation_id: int) -> None:
    """Drop the cached endpoints once the transaction that changed one has committed."""

    def forget() -> None:
        try:
            cache.delete(ENDPOINTS_KEY.format(organisation_id))
        except Exception:
            logger.warning("cached webhook endpoints not forgotten (the cache does not answer)")

    transaction.on_commit(forget, robust=True)


def _receivers(organisation_id: int, event_type: str) -> list[WebhookEndpoint]:
    return [e for e in _enabled_endpoints(organisation_id) if e.receives(event_type)]


def write_event(event: Event) -> None:
    """The sink: the event's rows for every endpoint that receives it."""
    endpoints = _receivers(event.organisation_id, event.type)
    if endpoints:
        record(event.organisation_id, event.type, event.data, endpoints, personal=event.personal)


def write_events(events: list[Event]) -> None:
    """The sink's batch form (lib.events.emit_many, one type): one look-up for the batch, and
    nothing more when no endpoint receives the type."""
    if not events:
        return
    endpoints = _receivers(events[0].organisation_id, events[0].type)
    for event in events if endpoints else []:
        record(event.organisation_id, event.type, event.data, endpoints, personal=event.personal)


def record(
    organisation_id: int,
    event_type: str,
    data: Any,
    endpoints: list[WebhookEndpoint],
    *,
    personal: bool = True,
) -> WebhookEvent | None:
    """Write the event and its deliveries to `endpoints` (the caller chose them). The
    personal part is kept only when the event is about a person and an endpoint wants it."""
    built = BUILDERS[event_type](data)
    if built is None:
        return None
    wants_personal = personal and any(endpoint.include_personal_data for endpoint in endpoints)
    row = WebhookEvent.objects.create(
        organisation_id=organisation_id,
        type=event_type,
        payload=built.public,
        personal=built.personal if wants_personal else {},
        contact_id=built.contact_id if wants_personal else None,
    )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            event=row,
            endpoint_id=endpoint.pk,
            status=DeliveryStatus.PENDING,
            next_attempt_at=row.created_at,
            created_at=row.created_at,
        )
        for endpoint in endpoints
    )
    nudge_on_commit()
    return row


def nudge_on_commit() -> None:
    """Publish one dispatch after the transaction commits, however many events it wrote."""
    if any(entry[1] is _nudge for entry in connection.run_on_commit):
        return
    transaction.on_commit(_nudge, robust=True)


def _nudge() -> None:
    from webhooks import tasks

    tasks.publish_dispatch()
