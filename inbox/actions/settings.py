"""Changes managers and admins make in Settings → Inboxes: create an inbox, rename it or switch
its mode, add and remove members and change their role, add and remove its channels (the
numbers and addresses customers write to).

Every change writes an InboxEvent (who changed what, when), as account changes write
theirs; removing a member also hands their conversations in that inbox back to the team, with
a conversation event each. Every action checks the actor's right again, so a view that forgot
to cannot change anything it should not.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.identities import format_phone
from inbox.access import inbox_role
from inbox.models import (
    Channel,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    Inbox,
    InboxChannel,
    InboxEvent,
    InboxMode,
    InboxRole,
    Membership,
)
from lib.errors import ActionRefused

logger = logging.getLogger("switchboard.settings")


def _require_manager(actor: User, inbox: Inbox) -> None:
    if inbox_role(actor, inbox) != InboxRole.MANAGER:
        raise PermissionDenied


def _locked_memberships(inbox: Inbox) -> list[Membership]:
    """Every membership of `inbox`, locked in a fixed order, so that two managers changing
    roles at once are serialised and cannot both demote "the other last manager"."""
    return list(Membership.objects.select_for_update().filter(inbox=inbox).order_by("id"))


def _check_keeps_a_manager(
    memberships: list[Membership], *, leaving: Membership, actor: User
) -> None:
    """Refuse when `leaving` is the inbox's last manager and the actor is not an admin.

    Admins manage every inbox anyway, so they may leave an inbox without a manager member
    (and put one back later); a manager cannot lock everybody but the admins out."""
    if leaving.role != InboxRole.MANAGER or getattr(actor, "is_admin", False):
        return
    managers = [m for m in memberships if m.role == InboxRole.MANAGER]
    if len(managers) <= 1:
        raise ActionRefused(
            _("%(name)s is the inbox's last manager. Make someone else a manager first.")
            % {"name": leaving.user}
        )


@transaction.atomic
def create_inbox(*, name: str, mode: str, actor: User) -> Inbox:
    """An admin creates an inbox. It starts without members; admins manage it meanwhile."""
    if not getattr(actor, "is_admin", False):
        raise PermissionDenied
    if mode not in InboxMode.values:
        raise ActionRefused(_("Choose open or assignment mode."))
    inbox = Inbox.objects.create(name=name.strip(), mode=mode)
    Membership.objects.changed_for(actor.pk)  # the new inbox joins their menus at once
    InboxEvent.objects.record(
        inbox, InboxEvent.Kind.CREATED, actor=actor, name=inbox.name, mode=mode
    )
    return inbox


@transaction.atomic
def update_inbox(inbox: Inbox, *, name: str, mode: str, actor: User) -> list[str]:
    """Rename the inbox or switch its mode; returns the names of the fields that changed.

    Switching to open mode keeps existing assignments (they simply stop restricting who may
    reply); switching to assignment mode leaves unassigned conversations waiting for someone
    to take them."""
    _require_manager(actor, inbox)
    if mode not in InboxMode.values:
        raise ActionRefused(_("Choose open or assignment mode."))
    new = {"name": name.strip(), "mode": mode}
    changes = {f: [getattr(inbox, f), v] for f, v in new.items() if getattr(inbox, f) != v}
    inbox.name, inbox.mode = new["name"], new["mode"]
    if changes:
        inbox.save(update_fields=list(changes))
        InboxEvent.objects.record(inbox, InboxEvent.Kind.UPDATED, actor=actor, **changes)
    return list(changes)


@transaction.atomic
def add_member(inbox: Inbox, *, user: User, role: str, actor: User) -> Membership:
    """Give a licensed user a role in the inbox. Raises ActionRefused when they have no
    licence or are already a member (another manager added them a moment ago)."""
    _require_manager(actor, inbox)
    if role not in InboxRole.values:
        raise ActionRefused(_("Choose a role."))
    if not user.is_active:
        raise ActionRefused(_("%(name)s has no licence.") % {"name": user})
    try:
        with transaction.atomic():
            membership = Membership.objects.create(inbox=inbox, user=user, role=role)
    except IntegrityError:
        raise ActionRefused(
            _("%(name)s is already a member of %(inbox)s.") % {"name": user, "inbox": inbox}
        ) from None
    Membership.objects.changed_for(user.pk)
    InboxEvent.objects.record(
        inbox, InboxEvent.Kind.MEMBER_ADDED, actor=actor, user=user, role=role
    )
    return membership


@transaction.atomic
def change_role(inbox: Inbox, *, user: User, role: str, actor: User) -> bool:
    """Make a member a manager or a team member; returns False when nothing changed.

    Demoting the last manager is refused unless an admin does it (ActionRefused)."""
    _require_manager(actor, inbox)
    if role not in InboxRole.values:
        raise ActionRefused(_("Choose a role."))
    memberships = _locked_memberships(inbox)
    membership = _membership_of(memberships, user, inbox)
    if membership.role == role:
        return False
    if role != InboxRole.MANAGER:
        _check_keeps_a_manager(memberships, leaving=membership, actor=actor)
    old, membership.role = membership.role, role
    membership.save(update_fields=["role"])
    Membership.objects.changed_for(user.pk)
    InboxEvent.objects.record(
        inbox, InboxEvent.Kind.ROLE_CHANGED, actor=actor, user=user, old=old, new=role
    )
    return True


@transaction.atomic
def remove_member(inbox: Inbox, *, user: User, actor: User) -> int:
    """Take the user out of the inbox. Their conversations there that are not resolved go
    back to the team unassigned (with an event each), so nothing stays with someone who can
    no longer open it. Returns how many were handed back.

    Removing the last manager is refused unless an admin does it (ActionRefused)."""
    _require_manager(actor, inbox)
    memberships = _locked_memberships(inbox)
    membership = _membership_of(memberships, user, inbox)
    _check_keeps_a_manager(memberships, leaving=membership, actor=actor)
    membership.delete()
    Membership.objects.changed_for(user.pk)
    held = list(
        Conversation.objects.select_for_update()
        .filter(inbox=inbox, assignee=user)
        .exclude(status=ConversationStatus.RESOLVED)
        .values_list("id", flat=True)
    )
    Conversation.objects.filter(pk__in=held).touch(in_inboxes=[inbox.pk], assignee=None)
    ConversationEvent.objects.record_many(
        held,
        ConversationEvent.Kind.UNASSIGNED,
        actor=actor,
        previous=user.pk,
        reason="removed_from_inbox",
    )
    InboxEvent.objects.record(
        inbox, InboxEvent.Kind.MEMBER_REMOVED, actor=actor, user=user, handed_back=len(held)
    )
    return len(held)


def _membership_of(memberships: list[Membership], user: User, inbox: Inbox) -> Membership:
    for membership in memberships:
        if membership.user_id == user.pk:
            return membership
    raise ActionRefused(
        _("%(name)s is no longer a member of %(inbox)s.") % {"name": user, "inbox": inbox}
    )


@transaction.atomic
def add_channel(inbox: Inbox, *, kind: str, address: str, label: str, actor: User) -> InboxChannel:
    """Give the inbox a number or address: inbound messages to it land here, replies go out
    from it. `address` is already normalised (settings_forms.ChannelForm). A number or
    address belongs to one inbox only: ActionRefused names the inbox that has it, also when
    another manager added it a moment ago."""
    _require_manager(actor, inbox)
    if kind not in Channel.values:
        raise ActionRefused(_("Choose SMS, WhatsApp or e-mail."))
    owner = InboxChannel.objects.filter(kind=kind, address=address).select_related("inbox").first()
    if owner is None:
        try:
            with transaction.atomic():
                channel = InboxChannel.objects.create(
                    inbox=inbox, kind=kind, address=address, label=label.strip()
                )
        except IntegrityError:
            owner = InboxChannel.objects.select_related("inbox").get(kind=kind, address=address)
        else:
            logger.info("%s added %s %s to inbox %s", actor.pk, kind, address, inbox.pk)
            InboxEvent.objects.record(
                inbox, InboxEvent.Kind.CHANNEL_ADDED, actor=actor, channel=kind, address=address
            )
            return channel
    shown = address if kind == Channel.EMAIL else format_phone(address)
    if owner.inbox_id == inbox.pk:
        raise ActionRefused(
            _("%(address)s is already a channel of this inbox.") % {"address": shown}
        )
    raise ActionRefused(
        _("%(address)s already belongs to the inbox %(inbox)s.")
        % {"address": shown, "inbox": owner.inbox}
    )


@transaction.atomic
def remove_channel(channel: InboxChannel, *, actor: User) -> None:
    """Take the number or address away from its inbox. Messages to it are no longer accepted
    there; conversations that came in on it keep their history, and their replies go out from
    the inbox's other channel of that kind, if it has one (inbox.delivery.sender_for)."""
    _require_manager(actor, channel.inbox)
    logger.info(
        "%s removed %s %s from inbox %s", actor.pk, channel.kind, channel.address, channel.inbox_id
    )
    InboxEvent.objects.record(
        channel.inbox,
        InboxEvent.Kind.CHANNEL_REMOVED,
        actor=actor,
        channel=channel.kind,
        address=channel.address,
    )
    channel.delete()
