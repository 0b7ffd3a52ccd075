"""Receiving: every channel stores an inbound message through `receive_message`."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from accounts.models import Organisation
from contacts import actions as contact_actions
from contacts.identities import CHANNEL_KINDS
from contacts.matching import Match, match_contacts
from contacts.models import Contact, Identity
from inbox.actions.conversations import MAX_BODY, next_number, preview
from inbox.hooks import Intercepted, run_inbound, run_intercepts
from inbox.language import guess_language
from inbox.models import (
    Attachment,
    ContactState,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Inbox,
    InboxChannel,
    Message,
    inbox_stamp_keys,
)
from inbox.sanitise import sanitise_email_html
from lib import stamps
from lib.events import emit


@dataclass(frozen=True)
class IncomingFile:
    """An attachment of an inbound message: its bytes, or where the provider keeps them."""

    filename: str
    content_type: str
    content: bytes | None = None
    source_url: str = ""

    @property
    def safe_filename(self) -> str:
        name = get_valid_filename(Path(self.filename or "attachment").name) or "attachment"
        return name[-150:]


@dataclass(frozen=True)
class IncomingMessage:
    """One inbound message as a channel hands it over.

    `inbox_channel` is our number or address it was sent to. It continues the sender's
    not-resolved conversation in the inbox, unless `thread` names the conversation it
    answers (e-mail threading; reopened if resolved) or `new_thread` asks for a new one (an
    e-mail that answers nothing). Attachments with content are stored at once; those with
    only a `source_url` (provider media) are stored empty for a task to fetch."""

    inbox: Inbox
    channel: str
    address: str
    body: str
    provider: str
    provider_message_id: str
    html: str = ""
    subject: str = ""
    received_at: datetime | None = None
    inbox_channel: InboxChannel | None = None
    thread: Conversation | None = None
    new_thread: bool = False
    attachments: Sequence[IncomingFile] = ()


@dataclass(frozen=True)
class Received:
    message: Message
    created: bool


def receive_message(incoming: IncomingMessage) -> Received:
    """Store an inbound message once, in the right conversation, linked to the right contact.

    A replayed provider id returns the stored message (created=False), also when two
    deliveries race: the unique provider id refuses the second, whose transaction is undone
    whole. The sender is matched with contacts.matching: one contact links, several leave the
    conversation "contact to confirm", none creates an ephemeral contact. A blocked sender's
    message is stored and flagged but not routed. Raises ValidationError for a malformed
    address.

    On the common path — a known sender writing again — that is seven statements: the
    match, the open conversation (locked), the message, the conversation's new state, the
    sender's activity, and the transaction around them.
    """
    try:
        with transaction.atomic():
            # A later app may claim the message before routing (a survey score by SMS):
            # stored quietly where it says, then handed to it instead of the inbound hooks.
            claim = run_intercepts(incoming)
            message = _store(incoming, incoming.received_at or timezone.now(), claim)
            if claim is not None:
                claim.claimed(message)
            else:
                # What later apps do with a new message (a STOP leaves campaigns): inbox.hooks.
                run_inbound(message)
    except IntegrityError:
        message = Message.objects.get(
            provider=incoming.provider, provider_message_id=incoming.provider_message_id
        )
        return Received(message, created=False)
    return Received(message, created=True)


def _store(
    incoming: IncomingMessage, received_at: datetime, claim: Intercepted | None = None
) -> Message:
    match = match_contacts(incoming.channel, incoming.address)
    identity = _sender_identity(incoming, match)
    contact = identity.contact if identity is not None else None
    blocked = bool(contact and contact.is_blocked)
    body = incoming.body[:MAX_BODY]
    state = {
        "last_message_at": received_at,
        "last_message_preview": preview(body),
        "status": ConversationStatus.OPEN,
        "is_flagged": blocked,
    }
    if claim is not None:
        # Claimed (inbox.hooks.Intercepted): not routed — no reopening, nobody waits.
        state["status"] = ConversationStatus.RESOLVED
        conversation = claim.conversation
    else:
        conversation = _continued(incoming, match.normalised, contact)
    if match.state == "several" and conversation is not None:
        if conversation.contact_id in match.identities:
            # The agent chose one of the contacts sharing the address for this conversation.
            identity = match.identities[conversation.contact_id]
            blocked = state["is_flagged"] = identity.contact.is_blocked
        elif conversation.contact_id is None:
            # Not chosen yet: the chooser lists whoever shares the address now.
            state["candidate_ids"] = [c.pk for c in match.contacts]
    if conversation is None:
        conversation = Conversation.objects.create(
            inbox=incoming.inbox,
            contact=contact,
            contact_state=ContactState.TO_CONFIRM
            if match.state == "several"
            else ContactState.LINKED,
            candidate_ids=[c.pk for c in match.contacts] if match.state == "several" else [],
            identity=identity,
            channel=incoming.channel,
            address=match.normalised,
            inbox_channel=incoming.inbox_channel,
            number=next_number(),
            subject=incoming.subject[:300],
            waiting_since=None if claim is not None else received_at,
            created_at=received_at,
            updated_at=timezone.now(),
            **state,
        )
        ConversationEvent.objects.record(
            conversation, ConversationEvent.Kind.CREATED, channel=incoming.channel
        )
        emit(Organisation.SINGLETON_ID, "conversation.created", {"conversation": conversation.pk})
        stamps.bump_on_commit(inbox_stamp_keys([conversation.inbox_id]))
    elif claim is not None:
        conversation.touch()
    else:
        if conversation.inbox_channel_id is None and incoming.inbox_channel is not None:
            state["inbox_channel"] = incoming.inbox_channel
        old_status = conversation.status
        conversation.touch(waiting_since=conversation.waiting_since or received_at, **state)
        if old_status != conversation.status:  # a pending conversation the customer reopened
            emit(
                Organisation.SINGLETON_ID,
                "conversation.status_changed",
                {"conversation": conversation.pk, "old": old_status},
            )
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.INBOUND,
        status=DeliveryStatus.RECEIVED,
        is_flagged=blocked,
        created_at=received_at,
        body=body,
        language=guess_language(body),
        html=sanitise_email_html(incoming.html),
        provider=incoming.provider,
        provider_message_id=incoming.provider_message_id,
    )
    _store_attachments(message, incoming.attachments)
    emit(Organisation.SINGLETON_ID, "message.created", {"message": message.pk}, personal=True)
    if identity is not None:
        contact_actions.record_activity(identity, received_at)
    return message


def _sender_identity(incoming: IncomingMessage, match: Match) -> Identity | None:
    """The identity the message came from: the one matched contact's, or a new ephemeral
    contact's when nobody matched; None when several contacts share the address."""
    if match.state == "one":
        return match.identity
    if match.state == "several":
        return None
    kind = CHANNEL_KINDS[incoming.channel][0]
    try:
        return contact_actions.create_ephemeral_contact(
            kind=kind, value=incoming.address, normalised=match.normalised
        )
    except contact_actions.IdentityTaken as taken:
        # A concurrent first message from the same sender created the contact just now.
        return taken.identity


def _continued(
    incoming: IncomingMessage, address: str, contact: Contact | None
) -> Conversation | None:
    """The conversation this message continues, locked: the one it answers (e-mail), none
    (a new thread), or the sender's newest not-resolved one in the inbox."""
    if incoming.thread is not None:
        return Conversation.objects.select_for_update().get(pk=incoming.thread.pk)
    if incoming.new_thread:
        return None
    candidates = (
        Conversation.objects.select_for_update()
        .filter(inbox=incoming.inbox, channel=incoming.channel)
        .exclude(status=ConversationStatus.RESOLVED)
    )
    candidates = (
        candidates.filter(contact=contact)
        if contact is not None
        else candidates.filter(address=address)
    )
    return candidates.order_by("-last_message_at", "-id").first()


def _store_attachments(message: Message, attachments: Sequence[IncomingFile]) -> None:
    for incoming in attachments:
        attachment = Attachment(
            message=message,
            filename=incoming.safe_filename,
            content_type=incoming.content_type[:100],
            source_url=incoming.source_url[:500],
        )
        if incoming.content is not None:
            attachment.size = len(incoming.content)
            attachment.file.save(incoming.safe_filename, ContentFile(incoming.content), save=False)
        attachment.save()
