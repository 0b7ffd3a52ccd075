"""Which contact a conversation belongs to: confirm, unlink, link another (seed 004)."""

from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from contacts import actions as contact_actions
from contacts.identities import CHANNEL_KINDS
from contacts.models import Contact, ContactKind, Identity
from inbox.access import inbox_role
from inbox.models import ContactState, Conversation, ConversationEvent
from lib.errors import ActionRefused


def _require_link_right(actor: User, conversation: Conversation) -> None:
    if inbox_role(actor, conversation.inbox) is None or not actor.has_perm(
        "contacts.link_conversation"
    ):
        raise PermissionDenied


# How a temporary contact becomes a real one when its link is confirmed.
KEEP_CREATE = "create"  # name it: the contact is created from it (the right to add contacts)
KEEP_PROMOTE = "promote"  # keep it as it is, curated (a manager's right to promote)
Keep = Literal["", "create", "promote"]
KEEPS: dict[str, Keep] = {KEEP_CREATE: "create", KEEP_PROMOTE: "promote"}


@transaction.atomic
def confirm_contact(
    conversation: Conversation,
    *,
    actor: User,
    keep: Keep = "",
    first_name: str = "",
    last_name: str = "",
) -> None:
    """The agent confirms that the automatically linked contact is the right person.

    A temporary (ephemeral) contact would still expire after a plain confirmation, so it is
    confirmed only together with `keep`: KEEP_CREATE creates the contact from it with the
    names given, KEEP_PROMOTE promotes it as it is; without either the action refuses
    (ActionRefused), as it does a promotion by someone without that right (PermissionDenied
    with the reason). Writes a contact_confirmed event; nothing when there is no contact."""
    _require_link_right(actor, conversation)
    contact = conversation.contact
    if contact is None:
        return
    if contact.kind == ContactKind.EPHEMERAL:
        if keep == KEEP_CREATE:
            contact_actions.create_from_ephemeral(
                contact, first_name=first_name, last_name=last_name, actor=actor
            )
        elif keep == KEEP_PROMOTE:
            if not actor.has_perm("contacts.promote_contact"):
                raise PermissionDenied(
                    _("Only managers may promote a temporary contact; create the contact instead.")
                )
            contact_actions.promote_contact(contact, actor=actor)
        else:
            raise ActionRefused(
                _("This is a temporary contact: create the contact or promote it to confirm it.")
            )
    conversation.touch(contact_state=ContactState.CONFIRMED)
    ConversationEvent.objects.record(
        conversation,
        ConversationEvent.Kind.CONTACT_CONFIRMED,
        actor=actor,
        contact=conversation.contact_id,
    )


@transaction.atomic
def unlink_contact(conversation: Conversation, *, actor: User) -> None:
    """Detach a wrongly linked contact; the conversation waits for the right one."""
    _require_link_right(actor, conversation)
    previous = conversation.contact_id
    if previous is None:
        return
    conversation.touch(contact=None, contact_state=ContactState.UNLINKED, candidate_ids=[])
    ConversationEvent.objects.record(
        conversation, ConversationEvent.Kind.CONTACT_UNLINKED, actor=actor, contact=previous
    )


def _link_confirmed(
    conversation: Conversation,
    *,
    contact: Contact,
    actor: User,
    changes: dict[str, Any],
    **event: Any,
) -> None:
    """Make `contact` the conversation's confirmed contact (with `changes` too), flagged
    if they are blocked; an ephemeral contact stops expiring (it becomes identified). One
    CONTACT_LINKED event, with `event` added to its data."""
    previous = conversation.contact_id
    conversation.touch(
        contact=contact,
        contact_state=ContactState.CONFIRMED,
        **changes,
        is_flagged=contact.is_blocked,
    )
    if contact.kind == ContactKind.EPHEMERAL:
        Contact.objects.filter(pk=contact.pk).update(kind=ContactKind.IDENTIFIED, expires_at=None)
    ConversationEvent.objects.record(
        conversation,
        ConversationEvent.Kind.CONTACT_LINKED,
        actor=actor,
        contact=contact.pk,
        previous=previous,
        **event,
    )


@transaction.atomic
def link_contact(conversation: Conversation, *, contact: Contact, actor: User) -> None:
    """Link (or relink) the conversation to `contact`, confirmed by the agent. An ephemeral
    contact chosen by a person stops expiring: it becomes identified."""
    _require_link_right(actor, conversation)
    _link_confirmed(conversation, contact=contact, actor=actor, changes={"candidate_ids": []})


@transaction.atomic
def choose_contact(conversation: Conversation, *, contact: Contact, actor: User) -> None:
    """The agent picks, in the chooser, which of the contacts sharing the sender's address
    this conversation is with (inbox.contact_chooser). Unlike `link_contact` the candidates
    stay, so the panel can go back to the list; the pick is the conversation's contact,
    confirmed, with that contact's identity for the address (opt-outs and replies use it).
    Refused (ActionRefused) for a contact that is not one of the candidates."""
    _require_link_right(actor, conversation)
    if contact.pk not in conversation.candidate_ids:
        raise ActionRefused(_("%(name)s does not use this address.") % {"name": contact})
    identity = (
        Identity.objects.filter(
            contact=contact,
            kind__in=CHANNEL_KINDS.get(conversation.channel, ()),
            normalised=conversation.address,
        )
        .order_by("id")
        .first()
    )
    _link_confirmed(
        conversation,
        contact=contact,
        actor=actor,
        changes={"identity": identity},
        chosen_from=len(conversation.candidate_ids),
    )
