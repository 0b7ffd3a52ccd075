"""Outbound webhooks: endpoints, the outbox of events, one delivery per event and endpoint.

The outbox (WebhookEvent + WebhookDelivery) is written in the transaction of the change it
describes (webhooks.outbox), so an event exists exactly when its change committed. Delivery
claims rows (webhooks.delivery); the rows are the record, Redis only the doorbell.
"""

import secrets
import time
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from webhooks import secrets as secret_box
from webhooks.event_types import matches

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_message_id() -> str:
    """`msg_` + 26 characters that sort by time (48 bits of milliseconds, 80 random bits),
    like a ULID: the `webhook-id` receivers deduplicate by."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _i in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "msg_" + "".join(reversed(chars))


class DisabledReason(models.TextChoices):
    NONE = "", _("Enabled")
    MANUAL = "manual", _("Disabled by an admin")
    GONE = "gone", _("The endpoint answered 410 Gone")
    GAVE_UP = "gave_up", _("Every retry of a delivery failed")


class EndpointQuerySet(models.QuerySet["WebhookEndpoint"]):
    def enabled(self) -> "EndpointQuerySet":
        return self.filter(enabled=True)


class WebhookEndpoint(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Event type names (webhooks.event_types), or ["*"] for all of them.
    event_types = models.JSONField(_("events"), default=list)
    include_personal_data = models.BooleanField(_("include personal data"), default=False)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(
        max_length=16, choices=DisabledReason.choices, blank=True, default=""
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Fernet tokens (webhooks.secrets), never the secret itself.
    secret_encrypted = models.TextField()
    # After a rotation the old secret signs too, until previous_secret_expires_at.
    previous_secret_encrypted = models.TextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organisation", "enabled"], name="webhookendpoint_org_idx")]

    def __str__(self) -> str:
        return self.description or self.url

    def receives(self, event_type: str) -> bool:
        return matches(list(self.event_types or []), event_type)

    @property
    def subscribes_to_all(self) -> bool:
        return "*" in (self.event_types or [])

    def signing_secrets(self, now: Any = None) -> list[str]:
        """The secrets that sign a delivery now: the current one, and during a rotation's
        grace period the previous one too (receivers still holding it keep verifying)."""
        now = now or timezone.now()
        found = [secret_box.decrypt(self.secret_encrypted)]
        if (
            self.previous_secret_encrypted
            and self.previous_secret_expires_at
            and self.previous_secret_expires_at > now
        ):
            found.append(secret_box.decrypt(self.previous_secret_encrypted))
        return found

    @property
    def in_rotation(self) -> bool:
        return bool(
            self.previous_secret_expires_at and self.previous_secret_expires_at > timezone.now()
        )


class WebhookEvent(models.Model):
    """One event, as it will be sent: `payload` is what every endpoint gets, `personal` is
    merged into it for endpoints that include personal data (empty when none did when the
    event was written, and emptied when the contact is erased)."""

    msg_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    type = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    personal = models.JSONField(default=dict, blank=True)
    # The contact the personal part is about (not a foreign key: the event outlives it).
    contact_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"], name="webhookevent_created_idx"),
            models.Index(
                fields=["contact_id"],
                name="webhookevent_contact_idx",
                condition=Q(contact_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.msg_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERING = "delivering", _("Delivering")
    SUCCEEDED = "succeeded", _("Succeeded")
    # The last attempt failed; the next one is at next_attempt_at.
    FAILED = "failed", _("Failed, will retry")
    GAVE_UP = "gave_up", _("Gave up")


class WebhookDelivery(models.Model):
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_snippet = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    attempted_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhookdelivery_once")
        ]
        indexes = [
            # The claim: due rows by time (webhooks.delivery.claim_due).
            models.Index(fields=["status", "next_attempt_at"], name="webhookdelivery_claim_idx"),
            # The delivery log, newest first, and "replay failed since".
            models.Index(fields=["endpoint", "-id"], name="webhookdelivery_log_idx"),
            models.Index(
                fields=["endpoint", "status", "created_at"], name="webhookdelivery_replay_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id}: {self.status}"

    @property
    def is_replayable(self) -> bool:
        return self.status in (
            DeliveryStatus.SUCCEEDED,
            DeliveryStatus.FAILED,
            DeliveryStatus.GAVE_UP,
        )


class EndpointEvent(models.Model):
    """Append-only record of what admins (and the delivery, when it disables an endpoint)
    did to webhook endpoints; kept after the endpoint is deleted, with its URL."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Endpoint created")
        UPDATED = "updated", _("Endpoint changed")
        SECRET_ROTATED = "secret_rotated", _("Secret rotated")
        ENABLED = "enabled", _("Endpoint enabled")
        DISABLED = "disabled", _("Endpoint disabled")
        DELETED = "deleted", _("Endpoint deleted")
        REPLAYED = "replayed", _("Deliveries replayed")
        TEST_SENT = "test_sent", _("Test event sent")

    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    url = models.URLField(max_length=2000)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="endpointevent_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.url})"
