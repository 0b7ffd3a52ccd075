"""Inboxes, who works in them (memberships and the per-request scope) and the numbers and
addresses they own."""

import logging
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib import stamps
from lib.cached import cached, forget_on_commit
from lib.memo import forget, memoised


class InboxMode(models.TextChoices):
    OPEN = "open", _("Open: every member may answer")
    ASSIGNMENT = "assignment", _("Assignment: assign to yourself before answering")


class Inbox(models.Model):
    name = models.CharField(_("name"), max_length=100)
    mode = models.CharField(
        _("mode"), max_length=16, choices=InboxMode.choices, default=InboxMode.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("inbox")
        verbose_name_plural = _("inboxes")

    def __str__(self) -> str:
        return self.name

    @property
    def is_assignment_mode(self) -> bool:
        return self.mode == InboxMode.ASSIGNMENT


class InboxRole(models.TextChoices):
    MEMBER = "member", _("Team member")
    MANAGER = "manager", _("Manager")


@dataclass(frozen=True)
class InboxScope:
    """Which inboxes one user sees and works in, computed once per request
    (`Membership.objects.scope_for`) and used by lists, access checks and the live poll alike.

    `roles` holds the inboxes the user works in (organisation admins manage every inbox,
    also one created after this scope was); `all_inboxes` is "view conversations of all
    inboxes", which lets a user see inboxes they do not work in. `inboxes` (by name) may be
    up to a minute old: it fills menus, never decides access on its own."""

    user_id: int
    all_inboxes: bool
    roles: dict[int, str]
    inboxes: tuple["Inbox", ...]
    admin: bool = False

    @property
    def inbox_ids(self) -> list[int]:
        """Ids of the inboxes the user sees."""
        return [inbox.pk for inbox in self.inboxes]

    def role_in(self, inbox_id: int) -> str | None:
        return InboxRole.MANAGER if self.admin else self.roles.get(inbox_id)

    @property
    def works_anywhere(self) -> bool:
        """A member or manager of at least one inbox (admins: of every inbox)."""
        return self.admin or bool(self.roles)

    @property
    def manages_any(self) -> bool:
        return self.admin or InboxRole.MANAGER in self.roles.values()

    @property
    def managed_ids(self) -> list[int]:
        return [pk for pk, role in self.roles.items() if role == InboxRole.MANAGER]

    def stamp_keys(self) -> list[str]:
        """The stamps that move when anything this user sees changes: their own (inboxes or
        roles changed) and their inboxes' (all of them: the one every change moves)."""
        inboxes = ["inbox:all"] if self.all_inboxes else inbox_stamp_keys(self.inbox_ids)[1:]
        return [user_stamp_key(self.user_id), *inboxes]


def inbox_stamp_keys(inbox_ids: Any) -> list[str]:
    """The stamps a change in these inboxes moves: each inbox's own, and the one that users
    who see all inboxes watch."""
    return ["inbox:all", *(f"inbox:{pk}" for pk in inbox_ids)]


logger = logging.getLogger(__name__)
SCOPE_SECONDS = 60


class MembershipQuerySet(models.QuerySet["Membership"]):
    def scope_for(self, user: Any) -> InboxScope:
        """The user's InboxScope, memoised for the request and kept in the cache between
        requests: one query for their memberships with the inboxes joined (or all inboxes,
        for admins and holders of "view all inboxes") when the cache has none that is still
        valid."""
        return memoised(("inbox-scope", user.pk), lambda: self._cached_scope(user))

    def _cached_scope(self, user: Any) -> InboxScope:
        """A cached scope counts while the user's stamp (moved by `changed_for` after every
        membership change) and role are what they were when it was computed, for at most
        SCOPE_SECONDS (a right granted in Django's admin takes that long to count)."""
        if not user.is_authenticated:
            return self._compute_scope(user)
        key, stamp_key = f"inbox-scope:{user.pk}", stamps.PREFIX + user_stamp_key(user.pk)
        identity = (user.role, user.is_active, user.is_superuser)
        try:
            found = cache.get_many([key, stamp_key])
        except Exception:
            return self._compute_scope(user)
        stamp = found.get(stamp_key, stamps.MISSING)
        entry = found.get(key)
        if entry is not None and entry[:2] == (stamp, identity):
            return entry[2]
        scope = self._compute_scope(user)
        try:
            cache.set(key, (stamp, identity, scope), SCOPE_SECONDS)
        except Exception:
            logger.warning("Cache unavailable; the inbox scope of %s is not kept", user.pk)
        return scope

    def _compute_scope(self, user: Any) -> InboxScope:
        if not user.is_authenticated:
            return InboxScope(user_id=0, all_inboxes=False, roles={}, inboxes=())
        if getattr(user, "is_admin", False):
            inboxes = tuple(Inbox.objects.all())
            roles = {inbox.pk: str(InboxRole.MANAGER) for inbox in inboxes}
            return InboxScope(
                user_id=user.pk, all_inboxes=True, roles=roles, inboxes=inboxes, admin=True
            )
        # Whether "view all inboxes" was granted to the user (or a group of theirs) comes
        # with the memberships in the same query; a user with none asks has_perm.
        granted = Permission.objects.filter(
            codename="view_all_inboxes", content_type__app_label="contacts"
        ).filter(Q(user=OuterRef("user_id")) | Q(group__user=OuterRef("user_id")))
        memberships = list(
            self.filter(user=user).select_related("inbox").annotate(sees_all=Exists(granted))
        )
        roles = {m.inbox_id: m.role for m in memberships}
        if memberships:
            granted_to_them = getattr(memberships[0], "sees_all", False)
            sees_all = user.is_active and (user.is_superuser or granted_to_them)
        else:
            sees_all = user.has_perm("contacts.view_all_inboxes")
        if sees_all:
            inboxes = tuple(Inbox.objects.all())
            return InboxScope(user_id=user.pk, all_inboxes=True, roles=roles, inboxes=inboxes)
        ordered = sorted((m.inbox for m in memberships), key=lambda i: (i.name, i.pk))
        return InboxScope(user_id=user.pk, all_inboxes=False, roles=roles, inboxes=tuple(ordered))

    def changed_for(self, user_id: int) -> None:
        """The user's inboxes or roles changed: compute their scope again in this request,
        and (after commit) move their stamp so their live poller renews its inbox list."""
        forget(("inbox-scope", user_id))
        # Now too, not only after commit: this transaction's own later reads must not find it.
        try:
            cache.delete(f"inbox-scope:{user_id}")
        except Exception:
            logger.warning("Cache unavailable; the stamp alone retires the inbox scope")
        stamps.bump_on_commit([user_stamp_key(user_id)])


def user_stamp_key(user_id: int) -> str:
    return f"user:{user_id}"


class Membership(models.Model):
    """A user's role in one inbox. Organisation admins count as managers of every inbox."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        _("role"), max_length=16, choices=InboxRole.choices, default=InboxRole.MEMBER
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inbox", "user"], name="membership_unique")]

    objects: ClassVar[MembershipQuerySet] = MembershipQuerySet.as_manager()  # type: ignore[assignment]

    def __str__(self) -> str:
        return f"{self.user} in {self.inbox} ({self.role})"


class AgentCapacity(models.Model):
    """How many open conversations routing mode hands an agent at most (managers set it)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="capacity"
    )
    limit = models.PositiveSmallIntegerField(_("capacity"), default=5)

    DEFAULT = 5

    def __str__(self) -> str:
        return f"{self.user}: {self.limit}"


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("E-mail")
    # The web chat widget (the webchat app): no number or address of ours; a conversation's
    # address is the visitor's (webchat.models.WebVisitor.address).
    WEB = "web", _("Web chat")


class InboxChannelQuerySet(models.QuerySet["InboxChannel"]):
    def sender_for(self, inbox_id: int, kind: str) -> "InboxChannel | None":
        """The inbox's number or address a message on `kind` goes out from when the customer
        wrote to none of them (a message started by an agent): its first."""
        return self.filter(inbox_id=inbox_id, kind=kind).order_by("id").first()

    def owner_of(self, kind: str, address: str) -> "InboxChannel | None":
        """Our number or address `address` (normalised) on `kind`, with its inbox: where an
        inbound message lands. Cached: every inbound message asks, admins change it now and
        then (`InboxChannel.save` and `delete` forget it)."""
        return cached(
            _owner_key(kind, address),
            lambda: self.select_related("inbox").filter(kind=kind, address=address).first(),
        )


def _owner_key(kind: str, address: str) -> str:
    return f"channel-owner:{kind}:{address}"


class InboxChannel(models.Model):
    """A phone number or e-mail address an inbox owns: inbound messages to it land in the inbox,
    replies go out from it. Credentials never live here; they come from the environment."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    address = models.CharField(
        _("address"),
        max_length=254,
        help_text=_("A phone number in international format, or an e-mail address."),
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[InboxChannelQuerySet] = InboxChannelQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["kind", "address"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        constraints = [
            models.UniqueConstraint(fields=["kind", "address"], name="inboxchannel_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.address}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        forget_on_commit(_owner_key(self.kind, self.address))

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        deleted = super().delete(*args, **kwargs)
        forget_on_commit(_owner_key(self.kind, self.address))
        return deleted


class InboxEventQuerySet(models.QuerySet["InboxEvent"]):
    def record(
        self, inbox: Inbox, kind: str, *, actor: Any, user: Any = None, **data: Any
    ) -> "InboxEvent":
        """Write one settings change of `inbox` (`user`: the member it is about)."""
        return self.create(inbox=inbox, kind=kind, actor=actor, user=user, data=data)


class InboxEvent(models.Model):
    """A change to an inbox's settings — mode, name, members and their roles, channels —
    with who made it (the audit trail of Settings → Inboxes; account changes have theirs)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Inbox created")
        UPDATED = "updated", _("Name or mode changed")
        MEMBER_ADDED = "member_added", _("Member added")
        ROLE_CHANGED = "role_changed", _("Role changed")
        MEMBER_REMOVED = "member_removed", _("Member removed")
        CHANNEL_ADDED = "channel_added", _("Channel added")
        CHANNEL_REMOVED = "channel_removed", _("Channel removed")
        # Settings → Inboxes → an inbox → Campaigns (campaigns.actions.settings).
        CAMPAIGN_SETTINGS_CHANGED = "campaign_settings_changed", _("Campaign settings changed")
        TEMPLATE_CREATED = "template_created", _("Template created")
        TEMPLATE_UPDATED = "template_updated", _("Template changed")
        TEMPLATE_DELETED = "template_deleted", _("Template deleted")
        # Settings → Inboxes → an inbox → Web chat (webchat.actions.widgets).
        WEB_CHAT_CHANGED = "web_chat_changed", _("Web chat settings changed")
        WEB_CHAT_SECRET_ROTATED = "web_chat_secret_rotated", _("Web chat identity secret renewed")

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The member the change is about."),
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[InboxEventQuerySet] = InboxEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["inbox", "-created_at"], name="inboxevent_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.inbox_id}: {self.get_kind_display()}"
