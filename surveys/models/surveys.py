"""A survey, the invitations it sends and the answers they bring.

A survey belongs to an inbox and asks one question on a scale fixed by its kind (CSAT 1-5,
NPS 0-10, CES 1-7), with an optional follow-up question answered in words. Each customer
asked is one `SurveyInvitation` — on resolve, by hand or in a survey campaign — and each
invitation has at most one `SurveyResponse` (unique), which a later answer replaces within
`CHANGE_WITHIN` of the first. The response copies the survey and the agent of its invitation,
so the results are GROUP BYs over one indexed table."""

import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# An SMS answer counts within this time of the invitation; a changed answer replaces the
# first one within this time of it.
ANSWER_WITHIN = datetime.timedelta(hours=24)
CHANGE_WITHIN = datetime.timedelta(hours=24)


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("CSAT (satisfaction, 1 to 5)")
    NPS = "nps", _("NPS (recommendation, 0 to 10)")
    CES = "ces", _("CES (effort, 1 to 7)")


SCALES: dict[str, tuple[int, int]] = {
    SurveyKind.CSAT: (1, 5),
    SurveyKind.NPS: (0, 10),
    SurveyKind.CES: (1, 7),
}
SHORT_NAMES: dict[str, str] = {"csat": "CSAT", "nps": "NPS", "ces": "CES"}


class SurveyQuerySet(models.QuerySet["Survey"]):
    def active(self) -> "SurveyQuerySet":
        return self.filter(is_active=True)

    def on_resolve_for(self, inbox_id: int, channel: str) -> "Survey | None":
        """The active survey this inbox sends when a conversation on `channel` is resolved
        (one for the channel before one for any channel)."""
        return (
            self.active()
            .filter(inbox_id=inbox_id, on_resolve=True)
            .filter(Q(channel=channel) | Q(channel=""))
            .order_by("-channel", "id")
            .first()
        )


class Survey(models.Model):
    inbox = models.ForeignKey("inbox.Inbox", on_delete=models.CASCADE, related_name="surveys")
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(
        _("kind"), max_length=8, choices=SurveyKind.choices, default=SurveyKind.CSAT
    )
    # "" for every channel of the inbox.
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    # {"en": {"question": "…", "follow_up": "…"}, "de": {…}, "sv": {…}}; an empty text takes
    # the kind's default in that language (surveys.texts).
    texts = models.JSONField(default=dict, blank=True)
    on_resolve = models.BooleanField(_("send when a conversation is resolved"), default=False)
    delay_minutes = models.PositiveIntegerField(_("delay after resolving (minutes)"), default=60)
    throttle_days = models.PositiveIntegerField(
        _("at most once per contact every (days)"), default=30
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[SurveyQuerySet] = SurveyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["inbox", "is_active"], name="survey_inbox_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def scale(self) -> tuple[int, int]:
        return SCALES[self.kind]

    @property
    def scores(self) -> list[int]:
        low, high = self.scale
        return list(range(low, high + 1))

    @property
    def short_name(self) -> str:
        return SHORT_NAMES[self.kind]

    def is_valid_score(self, score: int) -> bool:
        low, high = self.scale
        return low <= score <= high


class InvitationSource(models.TextChoices):
    RESOLVE = "resolve", _("On resolve")
    MANUAL = "manual", _("By hand")
    CAMPAIGN = "campaign", _("Survey campaign")


class InvitationStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Not sent")


class SurveyInvitationQuerySet(models.QuerySet["SurveyInvitation"]):
    def due(self, now: datetime.datetime) -> "SurveyInvitationQuerySet":
        return self.filter(status=InvitationStatus.SCHEDULED, send_at__lte=now)


class SurveyInvitation(models.Model):
    """One customer asked once. Its id, signed, is the answer link (surveys.links)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey_invitations",
    )
    conversation = models.ForeignKey(
        "inbox.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_invitations",
    )
    campaign_recipient = models.OneToOneField(
        "campaigns.CampaignRecipient",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey_invitation",
    )
    # The agent who handled the conversation when it was resolved: the results' per agent.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=16, choices=InvitationSource.choices)
    status = models.CharField(
        max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.SCHEDULED
    )
    channel = models.CharField(max_length=16)
    # The recipient's normalised address: an SMS answer is matched on it.
    address = models.CharField(max_length=320, blank=True)
    language = models.CharField(max_length=8, default="en")
    skip_reason = models.CharField(max_length=200, blank=True)
    send_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey(
        "inbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[SurveyInvitationQuerySet] = SurveyInvitationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The results' response rate: a survey's invitations sent in a period.
            models.Index(fields=["survey", "sent_at"], name="invitation_sent_idx"),
            # The throttle: the contact's latest invitations.
            models.Index(fields=["contact", "created_at"], name="invitation_contact_idx"),
            # An SMS answer: the newest invitation sent to the address.
            models.Index(fields=["address", "sent_at"], name="invitation_address_idx"),
            models.Index(
                fields=["send_at"],
                name="invitation_due_idx",
                condition=Q(status="scheduled"),
            ),
            models.Index(fields=["conversation"], name="invitation_conversation_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.address}"


class ResponseSource(models.TextChoices):
    WEB = "web", _("Survey page")
    SMS = "sms", _("SMS answer")


class SurveyResponse(models.Model):
    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.CASCADE, related_name="response"
    )
    # Copied from the invitation, so the results group one table by survey, agent and time.
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey_responses",
    )
    score = models.SmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    source = models.CharField(max_length=8, choices=ResponseSource.choices)
    answered_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        indexes = [
            models.Index(fields=["survey", "answered_at"], name="response_period_idx"),
            models.Index(fields=["survey", "agent", "answered_at"], name="response_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.score}"

    def can_change(self, now: datetime.datetime | None = None) -> bool:
        return (now or timezone.now()) < self.answered_at + CHANGE_WITHIN


class SurveyEventQuerySet(models.QuerySet["SurveyEvent"]):
    def record(
        self, survey: Any, kind: str, *, actor: Any = None, invitation: Any = None, **data: Any
    ) -> "SurveyEvent":
        key = "survey" if isinstance(survey, Survey) else "survey_id"
        return self.create(
            **{key: survey}, kind=kind, actor=actor, invitation=invitation, data=data
        )


class SurveyEvent(models.Model):
    """Every change to a survey, its invitations and answers, with who made it."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Edited")
        INVITED = "invited", _("Invitation scheduled")
        THROTTLED = "throttled", _("Not asked again so soon")
        SENT = "sent", _("Invitation sent")
        CANCELLED = "cancelled", _("Invitation not sent")
        ANSWERED = "answered", _("Answered")
        CHANGED = "changed", _("Answer changed")
        CHANGE_REFUSED = "change_refused", _("Late change kept aside")
        EXPORTED = "exported", _("Results exported")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="events")
    invitation = models.ForeignKey(
        SurveyInvitation, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[SurveyEventQuerySet] = SurveyEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["survey", "-created_at"], name="surveyevent_idx")]

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.kind}"
