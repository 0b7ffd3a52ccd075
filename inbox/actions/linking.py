"""Which contact a conversation belongs to: confirm, unlink, link another (seed 004)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import User
from contacts.models import Contact, ContactKind
from inbox.access import inbox_role
from inbox.models import ContactState, Conversation, ConversationEvent


def _require_link_right(actor: User, conversation: Conversation) -> None:
    if inbox_role(actor, conversation.inbox) is None or not actor.has_perm(
        "contacts.link_conversation"
    ):
        raise PermissionDenied


@transaction.atomic
def confirm_contact(conversation: Conversation, *, actor: User) -> None:
    """The agent confirms that the linked contact is the right person."""
    _require_link_right(actor, conversation)
    if conversation.contact_id is None:
        return
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


@transaction.atomic
def link_contact(conversation: Conversation, *, contact: Contact, actor: User) -> None:
    """Link (or relink) the conversation to `contact`, confirmed by the agent. An ephemeral
    contact chosen by a person stops expiring: it becomes identified."""
    _require_link_right(actor, conversation)
    previous = conversation.contact_id
    conversation.touch(
        contact=contact,
        contact_state=ContactState.CONFIRMED,
        candidate_ids=[],
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
    )
