"""Consent and opt-outs, per identity (an address) and purpose — evidence, not a checkbox.

German law (UWG §7) lets marketing SMS, WhatsApp and e-mail go only to addresses with prior,
documented consent, and the advertiser must prove it. So both tables are append-only
histories: the current state of an identity is its latest row by the time the customer (or
an agent, a form, the CRM, a provider) said it — `at`, not the time we stored it, so a STOP
and a START processed out of order still end the way the customer meant.

- `Consent`: granted or withdrawn for a marketing purpose, with basis, source and evidence.
  Marketing campaigns need a current grant.
- `OptOut`: the customer's "stop" (or "start" again) on a channel, by keyword, agent,
  provider (Twilio 21610) or unsubscribe link. Every campaign, marketing or service, skips an
  identity whose latest row on the channel is an opt-out.

Rows are written only through contacts.consent_actions (each with a ContactEvent). Both go
with their identity (CASCADE): anonymising a contact removes every identity and deleting it
removes everything, so no evidence or reason outlives an erasure (tests/test_consent.py).
"""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    MARKETING_SMS = "marketing_sms", _("Marketing by SMS")
    MARKETING_WHATSAPP = "marketing_whatsapp", _("Marketing by WhatsApp")
    MARKETING_EMAIL = "marketing_email", _("Marketing by e-mail")


# The purpose a marketing campaign on a channel needs, and the identity kind it goes to.
PURPOSE_OF_CHANNEL = {
    "sms": Purpose.MARKETING_SMS,
    "whatsapp": Purpose.MARKETING_WHATSAPP,
    "email": Purpose.MARKETING_EMAIL,
}
KIND_OF_CHANNEL = {"sms": "phone", "whatsapp": "whatsapp", "email": "email"}


class ConsentState(models.TextChoices):
    GRANTED = "granted", _("Granted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentBasis(models.TextChoices):
    CONSENT = "consent", _("Consent")
    EXISTING_CUSTOMER = "existing_customer", _("Existing customer")


class ConsentSource(models.TextChoices):
    FORM = "form", _("Form")
    IMPORT = "import", _("Import")
    CRM = "crm", _("CRM")
    AGENT = "agent", _("Agent")
    KEYWORD = "keyword", _("Keyword")


class ConsentQuerySet(models.QuerySet["Consent"]):
    def latest_first(self) -> "ConsentQuerySet":
        return self.order_by("-at", "-id")


def granted(identity_ref: Any, purpose: str) -> Exists:
    """SQL: the identity's latest consent row for `purpose` is a grant (for audiences)."""
    later = Consent.objects.filter(
        identity=OuterRef("identity"), purpose=purpose, at__gt=OuterRef("at")
    )
    return Exists(
        Consent.objects.filter(
            identity=identity_ref, purpose=purpose, state=ConsentState.GRANTED
        ).exclude(Exists(later))
    )


class Consent(models.Model):
    identity = models.ForeignKey(
        "contacts.Identity", on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    state = models.CharField(_("state"), max_length=16, choices=ConsentState.choices)
    basis = models.CharField(
        _("basis"), max_length=32, choices=ConsentBasis.choices, default=ConsentBasis.CONSENT
    )
    source = models.CharField(_("source"), max_length=16, choices=ConsentSource.choices)
    evidence = models.TextField(
        _("evidence"),
        blank=True,
        help_text=_("Where and how it was given: the form, the import file, the conversation."),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("given or withdrawn at"), default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[ConsentQuerySet] = ConsentQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["identity", "purpose", "at"], name="consent_state_idx")]

    def __str__(self) -> str:
        return f"{self.identity_id} {self.purpose}: {self.state}"


class OptOutAction(models.TextChoices):
    OPT_OUT = "out", _("Opted out")
    OPT_IN = "in", _("Subscribed again")


class OptOutSource(models.TextChoices):
    KEYWORD = "keyword", _("Keyword")
    AGENT = "agent", _("Agent")
    PROVIDER = "provider", _("Provider")
    UNSUBSCRIBE_LINK = "link", _("Unsubscribe link")


class OptOutQuerySet(models.QuerySet["OptOut"]):
    def current(self, identity_id: int, channel: str) -> "OptOut | None":
        """The identity's latest row on the channel: opted out when its action is OPT_OUT."""
        return self.filter(identity_id=identity_id, scope=channel).order_by("-at", "-id").first()

    def is_opted_out(self, identity_id: int, channel: str) -> bool:
        latest = self.current(identity_id, channel)
        return latest is not None and latest.action == OptOutAction.OPT_OUT


def opted_out(identity_ref: Any, channel: Any) -> Exists:
    """SQL: the identity's latest opt-out row on `channel` is an opt-out. Used by audiences
    and, at the moment each campaign message is claimed, by the conditional UPDATE — so an
    opt-out committed before the claim always wins."""
    later_in = OptOut.objects.filter(
        identity=OuterRef("identity"), scope=OuterRef("scope"), at__gt=OuterRef("at")
    )
    return Exists(
        OptOut.objects.filter(
            identity=identity_ref, scope=channel, action=OptOutAction.OPT_OUT
        ).exclude(Exists(later_in))
    )


class OptOut(models.Model):
    identity = models.ForeignKey(
        "contacts.Identity", on_delete=models.CASCADE, related_name="opt_outs"
    )
    # The channel: sms, whatsapp or email.
    scope = models.CharField(_("channel"), max_length=16)
    action = models.CharField(
        _("action"), max_length=8, choices=OptOutAction.choices, default=OptOutAction.OPT_OUT
    )
    source = models.CharField(_("source"), max_length=16, choices=OptOutSource.choices)
    keyword = models.CharField(_("keyword"), max_length=50, blank=True)
    # A plain id, not a foreign key: contacts comes before campaigns (DESIGN.md §3).
    campaign_id = models.BigIntegerField(null=True, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)
    provider_code = models.CharField(max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[OptOutQuerySet] = OptOutQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["identity", "scope", "at"], name="optout_state_idx")]
        constraints = [
            # One row per inbound message: a replayed webhook records nothing new.
            models.UniqueConstraint(
                fields=["message_id", "scope"],
                condition=Q(message_id__isnull=False),
                name="optout_once_per_message",
            )
        ]

    def __str__(self) -> str:
        return f"{self.identity_id} {self.scope}: {self.action}"


def latest_by_scope(identity_ids: list[int]) -> dict[tuple[int, str], "OptOut"]:
    """The latest opt-out row per (identity, channel), for the contact card: one query."""
    rows: QuerySet[OptOut] = (
        OptOut.objects.filter(identity_id__in=identity_ids)
        .select_related("actor")
        .order_by("identity_id", "scope", "-at", "-id")
    )
    latest: dict[tuple[int, str], OptOut] = {}
    for row in rows:
        latest.setdefault((row.identity_id, row.scope), row)
    return latest


# The channel of an identity's kind, for the contact card (its opt-outs and consent purpose).
CHANNEL_OF_KIND = {kind: channel for channel, kind in KIND_OF_CHANNEL.items()}


def identity_for_channel(channel: str, address: str, *, fallback: Any = None) -> Any:
    """The identity an opt-out on `channel` from `address` (normalised) belongs to: the one
    campaigns on that channel send to (an SMS STOP from a number stops the SMS campaigns to
    that phone identity, even when the conversation matched its WhatsApp twin), else
    `fallback` (the conversation's identity). None when neither exists."""
    # Imported here: contacts.models imports this module at its end (a cycle at import).
    from contacts.models import Identity

    kind = KIND_OF_CHANNEL.get(channel)
    if fallback is not None and fallback.kind == kind:
        return fallback
    if not (kind and address):
        return fallback
    rows = Identity.objects.select_related("contact").filter(kind=kind, normalised=address)
    if fallback is not None:
        # An address several contacts share (contacts.sharing): the conversation's contact's.
        own = Case(When(contact_id=fallback.contact_id, then=Value(0)), default=Value(1))
        rows = rows.order_by(own, "id")
    return rows.first() or fallback


def consents_by_identity(identity_ids: list[int]) -> dict[int, list["Consent"]]:
    """Every consent row of these identities, newest first, for the contact card: one query.
    (Consent rows are few per identity — each is a person's act, not a machine's.)"""
    rows: QuerySet[Consent] = (
        Consent.objects.filter(identity_id__in=identity_ids)
        .select_related("actor")
        .order_by("identity_id", "-at", "-id")
    )
    found: dict[int, list[Consent]] = {}
    for row in rows:
        found.setdefault(row.identity_id, []).append(row)
    return found
