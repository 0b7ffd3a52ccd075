"""A visitor's journey on the company's website: sessions of page views (seed 002).

A session belongs to the inbox whose web chat widget recorded it (who may see it follows the
inbox, as for conversations), to the visitor (the hash of their widget token, as webchat
stores it) and, once known, to their contact. A new session starts after SESSION_IDLE without
a page view. Time on page is not stored: it is the gap to the next page view of the session
(or to the visitor leaving), computed when the trail is shown.
"""

from datetime import timedelta
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.models import Membership
from webchat.models import WebVisitor

SESSION_IDLE = timedelta(minutes=30)
# "Now on …": the visitor's latest page view is this recent and they have not left since.
PRESENT_FOR = timedelta(minutes=2)
DEFAULT_RETENTION_DAYS = 90
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 7, 365


class Source(models.TextChoices):
    BROWSER = "browser", _("Web chat widget")
    API = "api", _("API")


class JourneySessionQuerySet(models.QuerySet):
    def of_contact(self, contact: Any) -> "JourneySessionQuerySet":
        """The contact's sessions, with those of their widget visitors recorded before the
        visitor was known to be them (linked on the visitor's next page view)."""
        visitors = WebVisitor.objects.filter(contact=contact).values("token_hash")
        return self.filter(
            models.Q(contact=contact)
            | models.Q(contact__isnull=True, visitor_key__in=visitors, source=Source.BROWSER)
        )

    def visible_to(self, user: Any) -> "JourneySessionQuerySet":
        """Sessions of the inboxes whose conversations `user` sees (inbox's rule)."""
        if not user.is_authenticated or not user.has_perm("contacts.view_contact"):
            return self.none()
        scope = Membership.objects.scope_for(user)
        if scope.all_inboxes:
            return self.all()
        return self.filter(inbox_id__in=scope.inbox_ids)


class JourneySession(models.Model):
    inbox = models.ForeignKey(
        "inbox.Inbox", on_delete=models.CASCADE, related_name="+", verbose_name=_("inbox")
    )
    # SHA-256 (hex) of the widget's visitor token (the latest of the session); "" for page
    # views the API sent.
    visitor_key = models.CharField(_("visitor"), max_length=64, blank=True, default="")
    # SHA-256 (hex) of the recorder's key in the host site's own storage: it carries the
    # session from page to page where the browser denies the chat frame (a third-party
    # frame) its storage and each page is a new widget visitor.
    browser_key = models.CharField(_("browser"), max_length=64, blank=True, default="")
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="journey_sessions",
        verbose_name=_("contact"),
    )
    source = models.CharField(_("source"), max_length=10, choices=Source, default=Source.BROWSER)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    # The visitor's tab or window closed (the widget's "leave" beacon) after the last view.
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    # The entry source: where the visitor came from and the campaign of the first page.
    referrer_host = models.CharField(_("referrer"), max_length=200, blank=True, default="")
    utm_source = models.CharField(max_length=200, blank=True, default="")
    utm_medium = models.CharField(max_length=200, blank=True, default="")
    utm_campaign = models.CharField(max_length=200, blank=True, default="")
    # The client's network (IPv4 /24, IPv6 /48), never the address itself.
    ip_network = models.GenericIPAddressField(_("network"), null=True, blank=True)
    browser = models.CharField(_("browser"), max_length=40, blank=True, default="")

    objects = JourneySessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("journey session")
        verbose_name_plural = _("journey sessions")
        indexes = [
            # The ingest's "this visitor's current session" lookup (a visitor's key is
            # unique: the hash of a random token), and a contact's visitors' sessions.
            models.Index(fields=["visitor_key", "-last_seen_at"], name="journey_visitor"),
            models.Index(fields=["browser_key", "-last_seen_at"], name="journey_browser"),
            # The Journey tab: a contact's latest sessions.
            models.Index(fields=["contact", "-last_seen_at"], name="journey_contact"),
            # Retention.
            models.Index(fields=["last_seen_at"], name="journey_last_seen"),
        ]

    def __str__(self) -> str:
        return f"journey session {self.pk}"

    @property
    def entry_source(self) -> str:
        return self.utm_source or self.referrer_host

    def is_present(self, now: Any = None) -> bool:
        """The visitor is on the site now: a page view within PRESENT_FOR and no leave
        after it."""
        now = now or timezone.now()
        if now - self.last_seen_at > PRESENT_FOR:
            return False
        return self.left_at is None or self.left_at < self.last_seen_at


class PageView(models.Model):
    session = models.ForeignKey(JourneySession, on_delete=models.CASCADE, related_name="page_views")
    url = models.CharField(_("URL"), max_length=2000)
    title = models.CharField(_("title"), max_length=300, blank=True, default="")
    referrer = models.CharField(_("referrer"), max_length=2000, blank=True, default="")
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("page view")
        verbose_name_plural = _("page views")
        indexes = [
            models.Index(fields=["session", "at"], name="journey_pv_session"),
            models.Index(fields=["at"], name="journey_pv_at"),
        ]

    def __str__(self) -> str:
        return self.url


class JourneySettings(models.Model):
    """The organisation's journey settings (one row): how long page views are kept."""

    SINGLETON_ID = 1
    retention_days = models.PositiveSmallIntegerField(
        _("keep page views for (days)"),
        default=DEFAULT_RETENTION_DAYS,
        validators=[MinValueValidator(MIN_RETENTION_DAYS), MaxValueValidator(MAX_RETENTION_DAYS)],
        help_text=_("Page views and sessions older than this are deleted every night (7 to 365)."),
    )

    class Meta:
        verbose_name = _("journey settings")

    def __str__(self) -> str:
        return "journey settings"

    @classmethod
    def load(cls) -> "JourneySettings":
        settings, _created = cls.objects.get_or_create(pk=cls.SINGLETON_ID)
        return settings
