"""API tokens and the stored answers of idempotent POSTs.

A token is `sb_live_<prefix>_<secret>`: the prefix finds the row (unique index), the secret is
kept only as its SHA-256 and compared in constant time (api.tokens). The full token is shown
once, when it is created, and never again.
"""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_RATE_LIMIT = 600  # requests per minute and token


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self, now: Any = None) -> "ApiTokenQuerySet":
        """Neither revoked nor expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    scopes = models.JSONField(_("scopes"), default=list)
    # None of them: every inbox of the organisation (also one created later).
    inboxes = models.ManyToManyField(
        "inbox.Inbox", blank=True, related_name="+", verbose_name=_("inboxes")
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    rate_limit = models.PositiveIntegerField(_("requests per minute"), default=DEFAULT_RATE_LIMIT)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The client's network, never its address: IPv4 /24, IPv6 /48 (api.tokens.truncate_ip).
    last_used_ip = models.CharField(max_length=64, blank=True)

    objects: ClassVar[ApiTokenQuerySet] = ApiTokenQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired

    @property
    def masked(self) -> str:
        """How lists name the token: its prefix, never the secret."""
        return f"sb_live_{self.prefix}_…"


class IdempotencyRecord(models.Model):
    """One POST with an Idempotency-Key (IETF draft): what was asked — method, path and the
    body's SHA-256 — and, once it is done, the answer, replayed for the same key and body
    for IDEMPOTENCY_HOURS (api.tasks purges older rows)."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    body_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    response_body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_unique")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.token_id}: {self.key}"

    def matches(self, *, method: str, path: str, body_sha256: str) -> bool:
        return (self.method, self.path, self.body_sha256) == (method, path, body_sha256)
