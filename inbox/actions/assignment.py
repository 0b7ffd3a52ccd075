"""Who owns a conversation: assigning, unassigning, and routing mode's "next, please".

Assignment races are settled by the database: taking an unassigned conversation is a
conditional UPDATE (… WHERE assignee IS NULL), so of two agents pressing "Assign to me" at
the same moment exactly one changes a row; the other is told who has it.
"""

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from inbox.access import inbox_role, rights_in
from inbox.models import (
    AgentCapacity,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    InboxRole,
    Membership,
)
from lib.errors import ActionRefused, Conflict
from lib.events import emit


@transaction.atomic
def assign_to_me(conversation: Conversation, *, actor: User) -> None:
    """Take an unassigned conversation (assignment mode), or any (managers).

    In open mode members cannot assign themselves. Raises ActionRefused naming the colleague
    when someone else got there first.
    """
    rights = rights_in(actor, conversation)
    if rights.role is None:
        raise PermissionDenied
    if not conversation.inbox.is_assignment_mode and not rights.can_manage:
        raise ActionRefused(_("In an open inbox everyone answers; nobody assigns themselves."))
    if rights.can_manage:
        _set_assignee(conversation, assignee=actor, actor=actor)
        return
    taken = Conversation.objects.filter(pk=conversation.pk, assignee__isnull=True).touch(
        in_inboxes=[conversation.inbox_id], assignee=actor
    )
    if not taken:
        holder = Conversation.objects.select_related("assignee").get(pk=conversation.pk).assignee
        if holder is not None and holder.pk == actor.pk:
            return
        raise Conflict(_("%(name)s has just taken this conversation.") % {"name": holder})
    ConversationEvent.objects.record(
        conversation,
        ConversationEvent.Kind.ASSIGNED,
        actor=actor,
        assignee=actor.pk,
        assignee_name=str(actor),
    )
    emit(Organisation.SINGLETON_ID, "conversation.assigned", {"conversation": conversation.pk})


@transaction.atomic
def assign(conversation: Conversation, *, assignee: User, actor: User) -> None:
    """A manager assigns the conversation to a member of its inbox (or themselves)."""
    if inbox_role(actor, conversation.inbox) != InboxRole.MANAGER:
        raise PermissionDenied
    if (
        not assignee.is_admin
        and not Membership.objects.filter(inbox=conversation.inbox, user=assignee).exists()
    ):
        raise ActionRefused(_("%(name)s is not a member of this inbox.") % {"name": assignee})
    if not assignee.is_active:
        raise ActionRefused(_("%(name)s has no licence.") % {"name": assignee})
    _set_assignee(conversation, assignee=assignee, actor=actor)


def _set_assignee(conversation: Conversation, *, assignee: User, actor: User) -> None:
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if locked.assignee_id == assignee.pk:
        return
    previous = locked.assignee_id
    locked.touch(assignee=assignee)
    ConversationEvent.objects.record(
        locked,
        ConversationEvent.Kind.ASSIGNED,
        actor=actor,
        assignee=assignee.pk,
        assignee_name=str(assignee),
        previous=previous,
    )
    emit(Organisation.SINGLETON_ID, "conversation.assigned", {"conversation": locked.pk})


@transaction.atomic
def unassign(conversation: Conversation, *, actor: User) -> None:
    """Managers unassign anyone; a member may hand back their own conversation."""
    locked = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("inbox")
        .get(pk=conversation.pk)
    )
    role = inbox_role(actor, locked.inbox)
    if role is None or (role != InboxRole.MANAGER and locked.assignee_id != actor.pk):
        raise PermissionDenied(_("Only the assignee or a manager can hand this back."))
    if locked.assignee_id is None:
        return
    previous = locked.assignee_id
    locked.touch(assignee=None)
    ConversationEvent.objects.record(
        locked, ConversationEvent.Kind.UNASSIGNED, actor=actor, previous=previous
    )
    emit(Organisation.SINGLETON_ID, "conversation.assigned", {"conversation": locked.pk})


def capacity_of(user: User) -> int:
    setting = AgentCapacity.objects.filter(user=user).first()
    return setting.limit if setting else AgentCapacity.DEFAULT


def open_load(user: User) -> int:
    return (
        Conversation.objects.filter(assignee=user)
        .exclude(status=ConversationStatus.RESOLVED)
        .count()
    )


def route_next(*, agent: User) -> Conversation | None:
    """Hand `agent` the oldest waiting conversation of their inboxes and assign it to them.

    Returns None when nothing waits or the agent is at capacity. On PostgreSQL the candidate
    row is claimed with SELECT … FOR UPDATE SKIP LOCKED, so concurrent agents never wait on
    or receive the same conversation.
    """
    if open_load(agent) >= capacity_of(agent):
        return None
    inboxes = Membership.objects.filter(user=agent).values("inbox_id")
    for _attempt in range(5):
        with transaction.atomic():
            candidates = (
                Conversation.objects.waiting()
                .filter(inbox__in=inboxes)
                .order_by("waiting_since", "id")
            )
            if connection.features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True, of=("self",))
            conversation = candidates.first()
            if conversation is None:
                return None
            taken = Conversation.objects.filter(
                Q(pk=conversation.pk) & Q(assignee__isnull=True)
            ).touch(in_inboxes=[conversation.inbox_id], assignee=agent)
            if taken:
                ConversationEvent.objects.record(
                    conversation,
                    ConversationEvent.Kind.ASSIGNED,
                    actor=agent,
                    assignee=agent.pk,
                    assignee_name=str(agent),
                    routed=True,
                )
                emit(
                    Organisation.SINGLETON_ID,
                    "conversation.assigned",
                    {"conversation": conversation.pk},
                )
                conversation.assignee = agent
                return conversation
    return None


def set_capacity(*, agent: User, limit: int, actor: User) -> None:
    """A manager of one of the agent's inboxes (or an admin) sets the routing capacity."""
    manages = (
        actor.is_admin
        or Membership.objects.filter(
            user=actor, role=InboxRole.MANAGER, inbox__memberships__user=agent
        ).exists()
    )
    if not manages:
        raise PermissionDenied
    if not 1 <= limit <= 100:
        raise ActionRefused(_("Capacity must be between 1 and 100."))
    AgentCapacity.objects.update_or_create(user=agent, defaults={"limit": limit})
