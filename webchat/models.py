"""The web chat widget of an inbox and the visitors who write through it.

A `WebWidget` is an inbox's web channel: its look and texts, the websites allowed to embed it,
the consent mode the journey app reads, and the secret the host site signs visitors'
identity tokens with. A `WebVisitor` is one browser: the widget keeps a random token in the
iframe's localStorage, we keep only its SHA-256 and the contact it writes as.
"""

import hashlib
import secrets
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact
from inbox.models import Inbox
from lib.cached import forget_on_commit

PUBLIC_ID_BYTES = 9  # 12 URL-safe characters
SECRET_BYTES = 32


def new_public_id() -> str:
    return secrets.token_urlsafe(PUBLIC_ID_BYTES)


def new_identity_secret() -> str:
    return "sbw_" + secrets.token_urlsafe(SECRET_BYTES)


def widget_key(public_id: str) -> str:
    """The cache key of a widget as the public pages read it (webchat.access)."""
    return f"webchat-widget:{public_id}"


# Widgets as this process read them last, for a few seconds (webchat.access.public_widget):
# every poll of every visitor asks, and a round trip to Redis per poll adds up. A change
# counts at once in the process that saved it, within LOCAL_SECONDS in the others.
LOCAL_WIDGETS: dict[str, tuple[float, "WebWidget"]] = {}
LOCAL_SECONDS = 5.0
LOCAL_MAX = 1000


def visitor_stamp_key(digest: str) -> str:
    """The stamp (lib.stamps) that moves when the visitor writes, signs in or leaves an
    address: with their conversations' stamps, what their widget's poll watches."""
    return f"web-visitor:{digest[:32]}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class BrandColour(models.TextChoices):
    """A fixed palette, each dark enough for white text (WCAG AA, 4.5:1 and more); the
    colours themselves are CSS classes (static/css/webchat.css), never inline styles."""

    INDIGO = "indigo", _("Indigo")
    BLUE = "blue", _("Blue")
    TEAL = "teal", _("Teal")
    GREEN = "green", _("Green")
    RED = "red", _("Red")
    PLUM = "plum", _("Plum")
    SLATE = "slate", _("Slate")


class ConsentMode(models.TextChoices):
    """What the journey app may record before and around a chat (issue 14)."""

    CHAT_ONLY = "chat_only", _("Chat only: nothing is recorded before the visitor opens the chat")
    JOURNEY = "journey", _("Journey: page views once the website passes the visitor's consent")
    SERVER = "server", _("Server: the website sends page views through the API")


class WebWidgetQuerySet(models.QuerySet["WebWidget"]):
    def enabled(self) -> "WebWidgetQuerySet":
        return self.filter(enabled=True)


class WebWidget(models.Model):
    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="web_widget")
    public_id = models.CharField(max_length=24, unique=True, default=new_public_id)
    enabled = models.BooleanField(_("enabled"), default=False)
    colour = models.CharField(
        _("brand colour"), max_length=16, choices=BrandColour.choices, default=BrandColour.INDIGO
    )
    greeting = models.CharField(_("greeting"), max_length=300, blank=True)
    away_message = models.CharField(_("away message"), max_length=300, blank=True)
    # One origin a line, validated (webchat.origins): https://host[:port], or
    # http://127.0.0.1:<port> / http://localhost:<port> for development.
    allowed_origins = models.TextField(_("allowed website origins"), blank=True)
    consent_mode = models.CharField(
        _("consent mode"), max_length=16, choices=ConsentMode.choices, default=ConsentMode.CHAT_ONLY
    )
    # HS256 is symmetric: the secret is kept to verify tokens, shown only when generated.
    identity_secret = models.CharField(max_length=80, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[WebWidgetQuerySet] = WebWidgetQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("web chat widget")

    def __str__(self) -> str:
        return f"{self.inbox_id}: {self.public_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        LOCAL_WIDGETS.pop(self.public_id, None)
        forget_on_commit(widget_key(self.public_id))

    @property
    def origins(self) -> list[str]:
        return [line.strip() for line in self.allowed_origins.splitlines() if line.strip()]

    @property
    def external_prefix(self) -> str:
        """Signed-in visitors' external ids are `<public id>:<host user id>`."""
        return f"{self.public_id}:"


class WebVisitor(models.Model):
    """One browser that opened the widget: the hash of its token, the contact it writes as
    (None until it first writes), and — once the host signed it in — the host's user id."""

    widget = models.ForeignKey(WebWidget, on_delete=models.CASCADE, related_name="visitors")
    token_hash = models.CharField(max_length=64, unique=True)
    # The address its messages come from (contacts.identities.CHANNEL_KINDS["web"]): its
    # own `web-<random>` while anonymous, the external id `<public id>:<sub>` once signed in.
    anonymous_address = models.CharField(max_length=64, unique=True)
    external_id = models.CharField(max_length=320, blank=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="web_visitors"
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    consent = models.BooleanField(null=True)
    # A signed-in e-mail that differs from the contact's, not yet shown to the agents.
    mismatch_pending = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["contact"], name="webvisitor_contact_idx")]

    def __str__(self) -> str:
        return f"visitor {self.pk} of {self.widget_id}"

    @property
    def address(self) -> str:
        return self.external_id or self.anonymous_address

    @property
    def is_verified(self) -> bool:
        return bool(self.external_id)
