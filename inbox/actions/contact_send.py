"""Sending to a contact from the contact card (seed 002): the agent picks one of the contact's
numbers or addresses, a channel and the inbox to send from; the message continues the
contact's conversation there or starts a new one, and leaves through the one outbound path
(inbox.actions.queue_outbound: a `queued` row, delivered by a task after commit)."""

import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from contacts.identities import CHANNEL_KINDS, normalise
from contacts.models import Contact, Identity
from inbox.access import inbox_role, rights_in
from inbox.actions.conversations import MAX_BODY, next_number, queue_outbound
from inbox.models import (
    Channel,
    ContactState,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    Inbox,
    InboxChannel,
    Membership,
    Message,
)
from lib.errors import ActionRefused
from lib.events import emit


@dataclass(frozen=True)
class Sent:
    message: Message
    conversation: Conversation
    # False when the conversation existed already, or when a double submit found the
    # message stored by the first one.
    new_conversation: bool


def sending_channels(user: User) -> list[InboxChannel]:
    """The numbers and addresses of the inboxes `user` works in (every inbox for admins, who
    manage them all), with their inbox: what the user may send from. One query."""
    channels = InboxChannel.objects.select_related("inbox").order_by(
        "inbox__name", "inbox_id", "kind", "id"
    )
    if not getattr(user, "is_admin", False):
        inbox_ids = Membership.objects.filter(user=user).values("inbox_id")
        channels = channels.filter(inbox_id__in=inbox_ids)
    return list(channels)


def send_to_contact(
    actor: User,
    contact: Contact,
    *,
    inbox: Inbox,
    channel: str,
    address: str,
    body: str,
    client_id: uuid.UUID | None = None,
    subject: str = "",
) -> Sent:
    """Send `body` to one of the contact's numbers or addresses from `inbox`.

    Refused — nothing stored, nothing sent — when the body is empty or too long or the
    address is not the contact's or does not fit the channel (ValidationError naming the
    field), when the actor does not work in the inbox (PermissionDenied), when the inbox has
    no number or address of that channel, or when the contact is blocked (ActionRefused with
    the reason).

    The message continues the contact's not-resolved conversation in that inbox, channel and
    address when the actor may reply in it; otherwise a new conversation starts, linked to
    the contact, from the inbox's first channel of that kind, and assigned to the actor in
    an assignment-mode inbox. A repeated `client_id` (double submit) returns what the first
    submit stored.
    """
    body = body.strip()
    if not body:
        raise ValidationError({"body": [_("Write a message first.")]})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": [_("The message is too long.")]})
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("Choose SMS, WhatsApp or e-mail.")]})
    try:
        normalised = normalise(CHANNEL_KINDS[channel][0], address)
    except ValidationError as invalid:
        raise ValidationError({"address": invalid.messages}) from None
    if client_id is not None and (done := _already_sent(actor, contact, client_id)):
        return done
    try:
        return _send(
            actor,
            contact,
            inbox=inbox,
            channel=channel,
            address=normalised,
            body=body,
            client_id=client_id,
            subject=subject.strip()[:300],
        )
    except IntegrityError:
        if client_id is None or not Message.objects.filter(client_id=client_id).exists():
            raise
        # The same client id was stored a moment ago by a concurrent submit of the form.
        done = _already_sent(actor, contact, client_id)
        if done is None:
            raise ActionRefused(
                _("This form was used already. Open it again to write another message.")
            ) from None
        return done


def _already_sent(actor: User, contact: Contact, client_id: uuid.UUID) -> Sent | None:
    message = (
        Message.objects.select_related("conversation__inbox")
        .filter(client_id=client_id, author=actor, conversation__contact=contact)
        .first()
    )
    if message is None:
        return None
    return Sent(message, message.conversation, new_conversation=False)


@transaction.atomic
def _send(
    actor: User,
    contact: Contact,
    *,
    inbox: Inbox,
    channel: str,
    address: str,
    body: str,
    client_id: uuid.UUID | None,
    subject: str,
) -> Sent:
    # Locking the contact serialises two sends to the same person (one conversation, not
    # two) and reads whether it is blocked as of now.
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if inbox_role(actor, inbox) is None:
        raise PermissionDenied(_("You are not a member of this inbox."))
    if contact.is_blocked:
        raise ActionRefused(_("This contact is blocked, so nothing can be sent to it."))
    identity = (
        Identity.objects.filter(
            contact=contact, kind__in=CHANNEL_KINDS[channel], normalised=address
        )
        .order_by("id")
        .first()
    )
    if identity is None:
        raise ValidationError(
            {"address": [_("That is not one of this contact's numbers or addresses.")]}
        )
    sender = InboxChannel.objects.sender_for(inbox.pk, channel)
    if sender is None:
        raise ActionRefused(
            _("%(inbox)s has no %(channel)s number or address to send from.")
            % {"inbox": inbox, "channel": Channel(channel).label}
        )
    conversation = _continued(actor, contact, inbox=inbox, channel=channel, address=address)
    created = conversation is None
    if conversation is None:
        conversation = _start(
            actor, contact, inbox=inbox, sender=sender, identity=identity, subject=subject
        )
    message = queue_outbound(conversation, body=body, actor=actor, client_id=client_id)
    Contact.objects.filter(pk=contact.pk).update(last_activity_at=message.created_at)
    return Sent(message, conversation, new_conversation=created)


def _continued(
    actor: User, contact: Contact, *, inbox: Inbox, channel: str, address: str
) -> Conversation | None:
    """The contact's latest not-resolved conversation there, if the actor may reply in it."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("inbox", "contact", "assignee")
        .filter(contact=contact, inbox=inbox, channel=channel, address=address)
        .exclude(status=ConversationStatus.RESOLVED)
        .order_by("-last_message_at", "-id")
        .first()
    )
    if conversation is None or not rights_in(actor, conversation).can_reply:
        return None
    return conversation


def _start(
    actor: User,
    contact: Contact,
    *,
    inbox: Inbox,
    sender: InboxChannel,
    identity: Identity,
    subject: str,
) -> Conversation:
    now = timezone.now()
    assignee = actor if inbox.is_assignment_mode else None
    conversation = Conversation.objects.create(
        inbox=inbox,
        contact=contact,
        # The agent chose this contact themselves: nothing is left to confirm.
        contact_state=ContactState.CONFIRMED,
        identity=identity,
        channel=sender.kind,
        address=identity.normalised,
        inbox_channel=sender,
        number=next_number(),
        subject=subject,
        assignee=assignee,
        last_message_at=now,
        created_at=now,
        updated_at=now,
    )
    ConversationEvent.objects.record(
        conversation,
        ConversationEvent.Kind.CREATED,
        actor=actor,
        channel=sender.kind,
        outbound=True,
    )
    emit(Organisation.SINGLETON_ID, "conversation.created", {"conversation": conversation.pk})
    if assignee is not None:
        ConversationEvent.objects.record(
            conversation,
            ConversationEvent.Kind.ASSIGNED,
            actor=actor,
            assignee=actor.pk,
            assignee_name=str(actor),
        )
    return conversation
