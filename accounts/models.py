import copy
import zoneinfo
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.cached import cached, forget_on_commit

DEFAULT_TIME_ZONE = "Europe/Berlin"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class Role(models.TextChoices):
    """Organisation-wide role. Per-inbox roles come with inbox memberships."""

    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Admin")


class UserQuerySet(models.QuerySet["User"]):
    def licensed(self) -> "UserQuerySet":
        return self.filter(is_active=True)

    def admins(self) -> "UserQuerySet":
        return self.filter(role=Role.ADMIN)

    def search(self, query: str) -> "UserQuerySet":
        query = query.strip()
        if not query:
            return self
        return self.filter(Q(display_name__icontains=query) | Q(email__icontains=query))


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=normalise_email(username or ""))

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=normalise_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


def normalise_email(email: str) -> str:
    """Log-in addresses are compared case-insensitively, so they are stored lower-cased."""
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """A person who works in Switchboard. `is_active` is the licence: off means no log-in."""

    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=150)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=DEFAULT_TIME_ZONE, validators=[validate_time_zone]
    )
    is_active = models.BooleanField(
        _("licensed"), default=True, help_text=_("Without a licence the user cannot log in.")
    )
    is_staff = models.BooleanField(
        _("Django admin access"), default=False, help_text=_("Technical back office only.")
    )
    # A browser notification and a sound for a new conversation or customer message in the
    # user's own conversations and in Unassigned (static/js/notifications.js); both off until
    # the user opts in on Preferences, where the browser then asks for permission.
    notify_desktop = models.BooleanField(_("desktop notifications"), default=False)
    notify_sound = models.BooleanField(_("notification sound"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    invitation_sent_at = models.DateTimeField(_("invitation sent"), null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["display_name", "id"], name="user_display_name_idx")]

    def __str__(self) -> str:
        return self.display_name or self.email

    def save(self, *args: object, **kwargs: object) -> None:
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name.split(" ")[0] if self.display_name else self.email

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def initials(self) -> str:
        parts = [part for part in self.display_name.split() if part]
        letters = "".join(part[0] for part in parts[:2]) or self.email[:1]
        return letters.upper()

    @property
    def has_accepted_invitation(self) -> bool:
        return self.has_usable_password()


ORGANISATION_KEY = "organisation"


class Organisation(models.Model):
    """The one company running this deployment; its fields are the account variables."""

    name = models.CharField(_("company name"), max_length=200)
    address = models.TextField(_("address"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    authors_may_edit_notes = models.BooleanField(
        _("authors may edit and delete their own notes"),
        default=True,
        help_text=_("Everyone else's notes are always read-only."),
    )
    # What the message assistant (the assistant app) may use in a calendar month, in the
    # model's tokens (prompt and completion); 0 turns it off for everyone.
    assistant_monthly_tokens = models.PositiveIntegerField(
        _("message assistant: tokens per month"),
        default=200_000,
        help_text=_("Prompt and answer tokens of every assistant request this month; 0: none."),
    )
    # Admin-defined account variables, {key: value}, beside the four built-in ones.
    variables = models.JSONField(_("more account variables"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    SINGLETON_ID = 1

    class Meta:
        verbose_name = _("organisation")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="organisation_singleton")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        forget_on_commit(ORGANISATION_KEY)

    @classmethod
    def load(cls) -> "Organisation":
        """The organisation, from the cache when it is there (every page reads it); a copy
        of its own for each caller, so a form that changes it changes nobody else's."""
        return copy.copy(cached(ORGANISATION_KEY, cls._load))

    @classmethod
    def _load(cls) -> "Organisation":
        organisation, _created = cls.objects.get_or_create(
            id=cls.SINGLETON_ID, defaults={"name": "Switchboard"}
        )
        return organisation

    def account_variables(self) -> dict[str, str]:
        """The values that messages and campaigns may insert, by variable name."""
        custom = {str(key): str(value) for key, value in (self.variables or {}).items()}
        return {
            **custom,
            "company_name": self.name,
            "company_address": self.address,
            "company_email": self.email,
            "company_phone": self.phone,
        }


class AccountEvent(models.Model):
    """Append-only record of changes to users and the organisation (who did what, when)."""

    class Kind(models.TextChoices):
        USER_INVITED = "user_invited", _("User invited")
        INVITATION_RESENT = "invitation_resent", _("Invitation sent again")
        USER_UPDATED = "user_updated", _("User updated")
        ROLE_CHANGED = "role_changed", _("Role changed")
        LICENCE_REMOVED = "licence_removed", _("Licence removed")
        LICENCE_RESTORED = "licence_restored", _("Licence restored")
        ORGANISATION_UPDATED = "organisation_updated", _("Organisation updated")
        TEMPLATE_CREATED = "template_created", _("Template created")
        TEMPLATE_UPDATED = "template_updated", _("Template changed")
        TEMPLATE_DELETED = "template_deleted", _("Template deleted")
        # Settings → API (the api app): the token row holds the rest.
        API_TOKEN_CREATED = "api_token_created", _("API token created")
        API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
        # Settings → Contacts → Import (contacts.csv_import): the import row holds the rest.
        CONTACT_IMPORT_STARTED = "contact_import_started", _("Contact import started")
        CONTACT_IMPORT_COMPLETED = "contact_import_completed", _("Contact import completed")
        CONTACT_IMPORT_CANCELLED = "contact_import_cancelled", _("Contact import cancelled")
        CONTACT_IMPORT_FAILED = "contact_import_failed", _("Contact import failed")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="account_events"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="accountevent_user_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"
