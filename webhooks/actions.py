"""Changes to webhook endpoints by admins. Each is atomic and writes an EndpointEvent; the
delivery side (webhooks.delivery) disables endpoints on its own and records that too.

The views load objects through webhooks.access and validate input with webhooks.forms
(the URL passes the SSRF guard there); these functions re-check nothing the form did.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from lib.errors import ActionRefused
from webhooks import outbox
from webhooks import secrets as secret_box
from webhooks.event_types import TEST
from webhooks.models import (
    DeliveryStatus,
    DisabledReason,
    EndpointEvent,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

# After a rotation the previous secret keeps signing this long (both signatures are sent).
ROTATION_GRACE = timedelta(hours=24)
REPLAYABLE = (DeliveryStatus.FAILED, DeliveryStatus.GAVE_UP)


def _event(endpoint: WebhookEndpoint, kind: str, actor: User | None, **data: Any) -> None:
    EndpointEvent.objects.create(
        endpoint=endpoint, url=endpoint.url, kind=kind, actor=actor, data=data
    )
    outbox.forget_endpoints(endpoint.organisation_id)


@transaction.atomic
def create_endpoint(
    *,
    url: str,
    description: str,
    event_types: list[str],
    include_personal_data: bool,
    actor: User,
) -> tuple[WebhookEndpoint, str]:
    """A new, enabled endpoint with a fresh secret; returns it and the secret, which is
    shown to the admin this once and never again."""
    secret = secret_box.new_secret()
    endpoint = WebhookEndpoint.objects.create(
        organisation_id=Organisation.SINGLETON_ID,
        url=url,
        description=description,
        event_types=event_types,
        include_personal_data=include_personal_data,
        secret_encrypted=secret_box.encrypt(secret),
        created_by=actor,
    )
    _event(
        endpoint,
        EndpointEvent.Kind.CREATED,
        actor,
        event_types=event_types,
        include_personal_data=include_personal_data,
    )
    return endpoint, secret


@transaction.atomic
def update_endpoint(
    endpoint: WebhookEndpoint,
    *,
    url: str,
    description: str,
    event_types: list[str],
    include_personal_data: bool,
    actor: User,
) -> list[str]:
    """Change what the endpoint receives; returns the names of the fields that changed.
    Deliveries already written keep the payload they were written with."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    values = {
        "url": url,
        "description": description,
        "event_types": event_types,
        "include_personal_data": include_personal_data,
    }
    changed = [name for name, value in values.items() if getattr(endpoint, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(endpoint, name, values[name])
    endpoint.save(update_fields=[*changed, "updated_at"])
    _event(endpoint, EndpointEvent.Kind.UPDATED, actor, fields=changed)
    return changed


@transaction.atomic
def rotate_secret(endpoint: WebhookEndpoint, *, actor: User) -> str:
    """A new secret signs from now on; the current one keeps signing too for
    ROTATION_GRACE, so the receiver can switch without losing a delivery. Returns the new
    secret (shown once). Rotating again during the grace period ends the oldest one."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = secret_box.new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = timezone.now() + ROTATION_GRACE
    endpoint.secret_encrypted = secret_box.encrypt(secret)
    endpoint.save(
        update_fields=[
            "previous_secret_encrypted",
            "previous_secret_expires_at",
            "secret_encrypted",
            "updated_at",
        ]
    )
    _event(
        endpoint,
        EndpointEvent.Kind.SECRET_ROTATED,
        actor,
        previous_valid_until=endpoint.previous_secret_expires_at.isoformat(),
    )
    return secret


@transaction.atomic
def set_enabled(endpoint: WebhookEndpoint, *, enabled: bool, actor: User) -> bool:
    """Enable or disable; True when it changed. Enabling sends what waited meanwhile."""
    now = timezone.now()
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=not enabled).update(
        enabled=enabled,
        disabled_reason="" if enabled else DisabledReason.MANUAL,
        disabled_at=None if enabled else now,
        updated_at=now,
    )
    if not changed:
        return False
    endpoint.refresh_from_db()
    kind = EndpointEvent.Kind.ENABLED if enabled else EndpointEvent.Kind.DISABLED
    _event(endpoint, kind, actor, reason="" if enabled else DisabledReason.MANUAL)
    if enabled:
        outbox.nudge_on_commit()
    return True


@transaction.atomic
def delete_endpoint(endpoint: WebhookEndpoint, *, actor: User) -> None:
    """Delete the endpoint and its delivery log; the EndpointEvents stay, with its URL."""
    _event(endpoint, EndpointEvent.Kind.DELETED, actor)
    WebhookDelivery.objects.filter(endpoint=endpoint).delete()
    endpoint.delete()


@transaction.atomic
def replay_delivery(delivery: WebhookDelivery, *, actor: User) -> None:
    """Send one finished delivery again (same webhook-id, a fresh retry schedule).
    Refused while it is still pending or being delivered."""
    replayable = (*REPLAYABLE, DeliveryStatus.SUCCEEDED)
    if not WebhookDelivery.objects.filter(pk=delivery.pk, status__in=replayable).update(
        **_fresh(timezone.now())
    ):
        raise ActionRefused(_("This delivery is still on its way; it cannot be replayed now."))
    _event(delivery.endpoint, EndpointEvent.Kind.REPLAYED, actor, deliveries=[delivery.pk])
    outbox.nudge_on_commit()


@transaction.atomic
def replay_failed_since(endpoint: WebhookEndpoint, *, since: datetime, actor: User) -> int:
    """Every failed or given-up delivery of the endpoint written since `since` is sent
    again, in one statement; returns how many."""
    count = WebhookDelivery.objects.filter(
        endpoint=endpoint, status__in=REPLAYABLE, created_at__gte=since
    ).update(**_fresh(timezone.now()))
    if count:
        _event(endpoint, EndpointEvent.Kind.REPLAYED, actor, since=since.isoformat(), count=count)
        outbox.nudge_on_commit()
    return count


def _fresh(now: datetime) -> dict[str, Any]:
    return {
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "lease_until": None,
        "error": "",
    }


@transaction.atomic
def send_test_event(endpoint: WebhookEndpoint, *, actor: User) -> WebhookEvent:
    """A `webhook.test` event to this endpoint alone (whatever it subscribes to)."""
    row = outbox.record(
        endpoint.organisation_id,
        TEST,
        {"endpoint_id": endpoint.pk, "sent_by_user_id": actor.pk},
        [endpoint],
    )
    assert row is not None  # a test event always builds
    _event(endpoint, EndpointEvent.Kind.TEST_SENT, actor, event=row.msg_id)
    return row
