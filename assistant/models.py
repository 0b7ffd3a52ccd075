"""The message assistant's one table: a row per request to the model, without its content.

It says which feature asked, for whom (user, inbox), which model answered, how many tokens the
prompt and the answer took, how long it took and how it ended. The monthly token budget of
the organisation is the sum of these rows (assistant.budget); the text sent and received is
never stored here (the inputs and the answer wait in the cache for a few minutes only, see
assistant.jobs)."""

from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Feature(models.TextChoices):
    CAMPAIGN_DRAFT = "campaign_draft", _("Campaign drafts")
    REWRITE = "rewrite", _("Reply rewrite")
    SUMMARY = "summary", _("Case summary")


class Outcome(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    OK = "ok", _("Answered")
    REJECTED = "rejected", _("Answered, failed the checks")
    BAD_RESPONSE = "bad_response", _("Unreadable answer")
    TIMEOUT = "timeout", _("Timed out")
    RATE_LIMITED = "rate_limited", _("Rate limited")
    FAILED = "failed", _("Failed")

    @classmethod
    def finished(cls) -> set[str]:
        return {o.value for o in cls} - {cls.PENDING.value, cls.RUNNING.value}


IN_FLIGHT = (Outcome.PENDING, Outcome.RUNNING)


def month_start() -> datetime:
    now = timezone.localtime()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class AssistantRequestQuerySet(models.QuerySet["AssistantRequest"]):
    def this_month(self, organisation_id: int) -> "AssistantRequestQuerySet":
        """The organisation's requests of this calendar month (the budget's; the index
        assistant_org_month_idx)."""
        return self.filter(organisation_id=organisation_id, created_at__gte=month_start())

    def in_flight(self, *, lost_after: float) -> "AssistantRequestQuerySet":
        """Waiting or running, and younger than `lost_after` seconds (an older one was lost
        with its worker and will never finish)."""
        return self.filter(
            outcome__in=IN_FLIGHT, created_at__gte=timezone.now() - timedelta(seconds=lost_after)
        )


class AssistantRequest(models.Model):
    feature = models.CharField(_("feature"), max_length=20, choices=Feature.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    inbox = models.ForeignKey(
        "inbox.Inbox", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the request is about, by id, never by content ("conversation:12:shorten",
    # "campaign:5"): a second click while the first request is in flight gets that one back.
    subject = models.CharField(_("subject"), max_length=60, blank=True)
    model = models.CharField(_("model"), max_length=200, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    calls = models.PositiveSmallIntegerField(default=0)  # 2 with a repair round
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[AssistantRequestQuerySet] = AssistantRequestQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("assistant request")
        verbose_name_plural = _("assistant requests")
        indexes = [
            # The request log (Settings → Message assistant), newest first.
            models.Index(fields=["created_at"], name="assistant_request_created_idx"),
            # The monthly budget: the sum of one organisation's tokens since the 1st.
            models.Index(fields=["organisation", "created_at"], name="assistant_org_month_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.feature} {self.outcome}"

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def is_finished(self) -> bool:
        return self.outcome in Outcome.finished()
