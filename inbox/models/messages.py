"""Messages of a conversation, their attachments, and provider webhooks stored before
routing."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.models.conversations import Conversation


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown")


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    body = models.TextField(blank=True)
    html = models.TextField(
        blank=True, help_text=_("Sanitised e-mail HTML, shown in a sandboxed frame.")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.CharField(max_length=32, blank=True)
    # NULL, not "", until the provider has accepted the message: the unique constraint below
    # must not treat all unsent messages as the same provider id.
    provider_message_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices)
    error = models.CharField(max_length=300, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    # Outbound delivery: how often it was tried, when the next try is due (the sweeper
    # re-enqueues queued rows whose time has passed) and when the last try started.
    attempts = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    client_id = models.UUIDField(null=True, blank=True, unique=True)
    is_flagged = models.BooleanField(default=False)
    # The body's language as guessed when stored (inbox.language): it picks the stemmer of
    # the full-text index, which PostgreSQL keeps in the generated column `search`
    # (migration 0007; not a model field, since SQLite has no tsvector).
    language = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_message_id"],
                name="message_provider_id_unique",
                condition=Q(provider_message_id__isnull=False),
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="message_thread_idx"),
            models.Index(fields=["due_at"], name="message_due_idx", condition=Q(status="queued")),
            models.Index(
                fields=["attempted_at"],
                name="message_sending_idx",
                condition=Q(status="sending"),
            ),
            # /metrics counts the last day's outbound messages by status (inbox.metrics):
            # an index-only scan of one day's outbound rows.
            models.Index(
                fields=["created_at", "status"],
                name="message_outbound_recent_idx",
                condition=Q(direction="out"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.pk}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.message.conversation_id}/{instance.message_id}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300, blank=True)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    # Provider media (MMS, WhatsApp) is fetched by a task: until then `file` is empty.
    source_url = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["id"],
                name="attachment_pending_idx",
                condition=Q(file="") & ~Q(source_url="") & Q(error=""),
            )
        ]

    def __str__(self) -> str:
        return self.filename


class InboundEvent(models.Model):
    """A provider's inbound webhook, stored as received before any routing (DESIGN.md §6:
    verify, store, enqueue). Unique per provider id, so a replay stores nothing; a task turns
    it into a message (`inbox.inbound`), and the sweeper retries events left unprocessed."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=200)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="inboundevent_unique")
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                name="inboundevent_pending_idx",
                condition=Q(processed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}"
