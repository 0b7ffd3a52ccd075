"""The one door to inboxes, conversations and messages a user asks for by id.

Everything loads through `Conversation.objects.visible_to(user)` — the list's QuerySet — so a
user of inbox A gets 404 for anything of inbox B, on every page, fragment and download.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from inbox.models import (
    Attachment,
    Conversation,
    Inbox,
    InboxRole,
    Label,
    Membership,
    Message,
    SavedView,
)
from inbox.models.messages import Direction


def inbox_role(user: Any, inbox: Inbox) -> str | None:
    """The user's role in `inbox` ("manager" for organisation admins), or None."""
    if not user.is_authenticated:
        return None
    return Membership.objects.scope_for(user).role_in(inbox.pk)


def visible_inboxes(user: Any) -> list[Inbox]:
    """The inboxes the user sees, by name (from the request's memoised scope)."""
    return list(Membership.objects.scope_for(user).inboxes)


def manages_any_inbox(user: Any) -> bool:
    """Managers of an inbox (and admins) reach Settings → Inboxes."""
    if not user.is_authenticated:
        return False
    return Membership.objects.scope_for(user).manages_any


def managed_inboxes(user: Any) -> Any:
    if getattr(user, "is_admin", False):
        return Inbox.objects.all()
    return Inbox.objects.filter(pk__in=Membership.objects.scope_for(user).managed_ids)


@dataclass(frozen=True)
class Rights:
    """What one user may do in one conversation, with the reason when they may not reply."""

    role: str | None
    can_reply: bool
    reply_blocked_reason: str
    can_assign_self: bool
    can_manage: bool
    # Open mode: everyone answers and nobody owns a conversation, so nobody is offered to
    # assign one — managers neither (they may still hand back one assigned before a switch).
    assignment_mode: bool = True

    @property
    def is_member(self) -> bool:
        return self.role is not None

    @property
    def can_assign(self) -> bool:
        """Assign to another member: managers, in assignment mode."""
        return self.can_manage and self.assignment_mode


def rights_in(user: Any, conversation: Conversation, role: str | None = None) -> Rights:
    role = role if role is not None else inbox_role(user, conversation.inbox)
    manager = role == InboxRole.MANAGER
    assignment = conversation.inbox.is_assignment_mode
    mine = conversation.assignee_id == user.pk
    reason = ""
    if role is None:
        reason = _("You are not a member of this inbox.")
    elif conversation.is_blocked:
        reason = _("This contact is blocked, so nothing can be sent to it.")
    elif assignment and not mine:
        reason = (
            _("Assign the conversation to yourself to reply.")
            if conversation.assignee_id is None
            else _("%(name)s is handling this conversation.") % {"name": conversation.assignee}
        )
    return Rights(
        role=role,
        can_reply=not reason,
        reply_blocked_reason=reason,
        can_assign_self=role is not None
        and assignment
        and (manager or conversation.assignee_id is None),
        can_manage=manager,
        assignment_mode=assignment,
    )


def access_conversation(
    user: Any, conversation_id: int, *, for_write: bool = False
) -> Conversation:
    """A conversation the user may see (404 otherwise), with its inbox, contact and assignee
    and when the user last read it (`read_at`). With `for_write`, the user must be a member or
    manager of its inbox (403 otherwise: seeing all inboxes is not working in them)."""
    conversation = get_object_or_404(
        Conversation.objects.visible_to(user)
        .select_related("inbox", "contact", "assignee")
        .with_read_at(user),
        pk=conversation_id,
    )
    if for_write and inbox_role(user, conversation.inbox) is None:
        raise PermissionDenied
    return conversation


def access_message(user: Any, message_id: int) -> Message:
    return get_object_or_404(
        Message.objects.filter(
            conversation__in=Conversation.objects.visible_to(user)
        ).select_related("conversation__inbox"),
        pk=message_id,
    )


def access_attachment(user: Any, attachment_id: int) -> Attachment:
    """An attachment of a conversation the user may see (404 otherwise)."""
    return get_object_or_404(
        Attachment.objects.filter(
            message__conversation__in=Conversation.objects.visible_to(user)
        ).exclude(file=""),
        pk=attachment_id,
    )


def access_outbound_attachment(attachment_id: int) -> Attachment:
    """A stored file of one of our outbound messages, for a provider holding a signed link
    to it (inbox.channels.twilio.reply_media checked the link; there is no user). 404 for a
    customer's file, a file not stored, or an unknown id."""
    return get_object_or_404(
        Attachment.objects.filter(message__direction=Direction.OUTBOUND).exclude(file=""),
        pk=attachment_id,
    )


def access_inbox(user: Any, inbox_id: int, *, manage: bool = False) -> Inbox:
    """An inbox the user belongs to (404 otherwise); with `manage`, one they manage (403)."""
    # Loaded afresh (the scope's copy may be a minute old): settings pages show and change it.
    scope = Membership.objects.scope_for(user)
    inboxes = (
        Inbox.objects.all() if scope.all_inboxes else Inbox.objects.filter(pk__in=scope.inbox_ids)
    )
    inbox = get_object_or_404(inboxes, pk=inbox_id)
    if manage and inbox_role(user, inbox) != InboxRole.MANAGER:
        raise PermissionDenied
    return inbox


def access_label(user: Any, label_id: int) -> Label:
    """A label, for any signed-in user (labels are the organisation's vocabulary; what a user
    may do with one is the action's rule: admins manage them, members of an inbox put them
    on its conversations). 404 for an unknown id."""
    if not user.is_authenticated:
        raise Http404
    return get_object_or_404(Label, pk=label_id)


def access_saved_view(user: Any, view_id: int) -> SavedView:
    """One of the user's own saved views; everybody else's is a 404."""
    return get_object_or_404(SavedView.objects.filter(user_id=user.pk), pk=view_id)
