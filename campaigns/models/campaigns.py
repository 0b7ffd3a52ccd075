"""A campaign and its recipients.

Launch freezes the audience into `CampaignRecipient` rows (one per campaign and identity);
each row only moves forward (RANK), claimed with conditional UPDATEs by the pacing tick
(campaigns.delivery). Replies, opt-outs and clicks are timestamps beside the status, since
they happen to a message that was sent or delivered."""

import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CampaignType(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    SERVICE = "service", _("Service")
    # One of the inbox's surveys, each recipient with their own link (the surveys app's
    # content provider, campaigns.content).
    SURVEY = "survey", _("Survey")


# The types that are advertising under German law and so go only to identities with a
# current consent grant (given, or recorded as the existing-customer exception of UWG §7 (3))
# and carry the objection notice (campaigns.notice). A survey belongs here: the BGH held a
# customer-satisfaction survey sent after a purchase to be advertising (judgment of 10 July
# 2018, VI ZR 225/17) — asking an existing customer "how did we do?" aims at keeping them,
# so it needs the same consent as an offer. A service message (an appointment, an order)
# needs none, but no campaign ever reaches an identity that opted out.
ADVERTISING_TYPES = frozenset({CampaignType.MARKETING, CampaignType.SURVEY})


def is_advertising(campaign_type: str) -> bool:
    return campaign_type in ADVERTISING_TYPES


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# Monday to Saturday (Monday is 0), 09:00 to 20:00 in the recipient's time zone.
DEFAULT_WINDOW_DAYS = [0, 1, 2, 3, 4, 5]
DEFAULT_WINDOW_START = datetime.time(9, 0)
DEFAULT_WINDOW_END = datetime.time(20, 0)


def default_window_days() -> list[int]:
    return list(DEFAULT_WINDOW_DAYS)


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def in_inboxes(self, inbox_ids: list[int]) -> "CampaignQuerySet":
        return self.filter(inbox_id__in=inbox_ids)


class Campaign(models.Model):
    inbox = models.ForeignKey("inbox.Inbox", on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=150)
    type = models.CharField(
        _("type"), max_length=16, choices=CampaignType.choices, default=CampaignType.MARKETING
    )
    channel = models.CharField(_("channel"), max_length=16)
    sender = models.ForeignKey(
        "inbox.InboxChannel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sender"),
    )
    template = models.ForeignKey(
        "campaigns.Template", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What a campaign of a later app's type sends (a survey campaign: the survey's id). A
    # plain id, not a foreign key: campaigns comes before those apps (campaigns.content).
    content_id = models.BigIntegerField(null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"), blank=True)
    # Filters, include and exclude lists (campaigns.audience reads and writes it).
    audience = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    window_days = models.JSONField(default=default_window_days, blank=True)
    window_start = models.TimeField(_("from"), default=DEFAULT_WINDOW_START)
    window_end = models.TimeField(_("until"), default=DEFAULT_WINDOW_END)
    # Messages per second for this campaign; None takes the inbox's rate for the channel.
    rate = models.FloatField(null=True, blank=True)
    # What launch saw: the company-name prefix, counted in the length.
    prefix = models.CharField(max_length=220, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    # The lowest recipient id (set when the rows exist): lists of the campaign's recipients
    # start there, instead of walking the primary key past earlier campaigns' rows.
    first_recipient_id = models.BigIntegerField(null=True, blank=True, editable=False)
    audience_size = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[CampaignQuerySet] = CampaignQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["inbox", "-created_at"], name="campaign_inbox_idx"),
            models.Index(fields=["status"], name="campaign_status_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        return self.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)

    @property
    def is_running(self) -> bool:
        return self.status in (CampaignStatus.SENDING, CampaignStatus.PAUSED)

    @property
    def is_finished(self) -> bool:
        return self.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SKIPPED = "skipped", _("Skipped")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    UNKNOWN = "unknown", _("Unknown")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Not sent (cancelled)")


# A recipient only moves forward: an update applies only to rows of a lower rank.
RANK: dict[str, int] = {
    RecipientStatus.PENDING: 0,
    RecipientStatus.QUEUED: 1,
    RecipientStatus.SENDING: 2,
    RecipientStatus.UNKNOWN: 3,
    RecipientStatus.SENT: 4,
    RecipientStatus.DELIVERED: 5,
    RecipientStatus.FAILED: 5,
    RecipientStatus.SKIPPED: 9,
    RecipientStatus.CANCELLED: 9,
}


def lower_than(status: str) -> list[str]:
    return [s for s, rank in RANK.items() if rank < RANK[status]]


class SkipReason(models.TextChoices):
    NO_ADDRESS = "no_address", _("No address on this channel")
    INVALID_ADDRESS = "invalid_address", _("Invalid address")
    NO_CONSENT = "no_consent", _("No marketing consent")
    OPTED_OUT = "opted_out", _("Opted out")
    BLOCKED = "blocked", _("Contact blocked")
    EXCLUDED = "excluded", _("On the exclude list")
    MISSING_VARIABLE = "missing_variable", _("A variable has no value and no default")
    DUPLICATE = "duplicate", _("Same address twice")


class CampaignRecipientQuerySet(models.QuerySet["CampaignRecipient"]):
    def due(self, now: datetime.datetime) -> "CampaignRecipientQuerySet":
        return self.filter(status=RecipientStatus.QUEUED, not_before__lte=now)


class CampaignRecipient(models.Model):
    # Indexed by recipient_list_idx (campaign, id), which also serves what a plain index on
    # the campaign would.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="recipients", db_index=False
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="campaign_recipients"
    )
    identity = models.ForeignKey(
        "contacts.Identity", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    address = models.CharField(max_length=320, blank=True)
    status = models.CharField(
        max_length=16, choices=RecipientStatus.choices, default=RecipientStatus.PENDING
    )
    skip_reason = models.CharField(max_length=32, choices=SkipReason.choices, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    rendered_body = models.TextField(blank=True)
    segments = models.PositiveSmallIntegerField(default=0)
    # NULL until the provider answers (a partial index covers the rows that have one).
    provider_message_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    error_code = models.CharField(max_length=32, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    conversation = models.ForeignKey(
        "inbox.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects: ClassVar[CampaignRecipientQuerySet] = CampaignRecipientQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "identity"], name="recipient_once_per_identity"
            ),
            models.UniqueConstraint(
                fields=["campaign", "contact"], name="recipient_once_per_contact"
            ),
        ]
        indexes = [
            # A campaign's rows in order, 50 or 2,000 at a time from the last one: the report's
            # list, the CSV and the freeze's render chunks. Without it they walked the primary
            # key past every earlier campaign's rows (benchmarks/README.md).
            models.Index(fields=["campaign", "id"], name="recipient_list_idx"),
            models.Index(
                fields=["campaign", "not_before", "id"],
                name="recipient_due_idx",
                condition=Q(status="queued"),
            ),
            models.Index(fields=["campaign", "status"], name="recipient_status_idx"),
            models.Index(
                fields=["provider_message_id"],
                name="recipient_provider_idx",
                condition=Q(provider_message_id__isnull=False),
            ),
            models.Index(fields=["identity", "sent_at"], name="recipient_identity_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.address}"


class CampaignEventQuerySet(models.QuerySet["CampaignEvent"]):
    def record(self, campaign: Campaign, kind: str, *, actor: Any = None, **data: Any) -> Any:
        return self.create(campaign=campaign, kind=kind, actor=actor, data=data)


class CampaignEvent(models.Model):
    """Every change to a campaign, with who made it."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Edited")
        TEST_SENT = "test_sent", _("Test sent")
        SCHEDULED = "scheduled", _("Scheduled")
        LAUNCHED = "launched", _("Launched")
        FROZEN = "frozen", _("Audience frozen")
        PAUSED = "paused", _("Paused")
        RESUMED = "resumed", _("Resumed")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        RATE_REDUCED = "rate_reduced", _("Rate reduced after the provider refused")
        DELETED = "deleted", _("Deleted")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[CampaignEventQuerySet] = CampaignEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["campaign", "-created_at"], name="campaignevent_idx")]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.kind}"
