"""Receiving messages, replying, commenting and changing status. Each action is atomic and
writes a ConversationEvent; deliveries are enqueued only after commit."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from contacts import actions as contact_actions
from contacts.identities import CHANNEL_KINDS
from contacts.matching import match_contacts
from contacts.models import Contact, ContactKind, Identity, IdentitySource
from inbox.access import rights_in
from inbox.language import guess_language
from inbox.models import (
    Attachment,
    Comment,
    ContactState,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    Counter,
    DeliveryStatus,
    Direction,
    Inbox,
    InboxChannel,
    Message,
    ReadMarker,
)
from inbox.sanitise import sanitise_email_html
from lib.errors import ActionRefused

MAX_BODY = 50_000
PREVIEW_LENGTH = 140


def _event(conversation: Conversation, kind: str, actor: Any = None, **data: Any) -> None:
    ConversationEvent.objects.create(conversation=conversation, kind=kind, actor=actor, data=data)


def next_number() -> int:
    """The next conversation number; the counter row stays locked until the caller's
    transaction ends, so numbers are unique and never reused."""
    table = connection.ops.quote_name(Counter._meta.db_table)
    with connection.cursor() as cursor:
        # One statement where the row exists (every time but the first).
        cursor.execute(
            f"UPDATE {table} SET value = value + 1 WHERE name = %s RETURNING value",  # noqa: S608
            ["conversation"],
        )
        row = cursor.fetchone()
    if row is not None:
        return int(row[0])
    Counter.objects.get_or_create(name="conversation")
    Counter.objects.filter(name="conversation").update(value=F("value") + 1)
    return Counter.objects.get(name="conversation").value


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
class Received:
    message: Message
    created: bool


def receive_message(
    *,
    inbox: Inbox,
    channel: str,
    address: str,
    body: str,
    provider: str,
    provider_message_id: str,
    html: str = "",
    subject: str = "",
    received_at: datetime | None = None,
    inbox_channel: InboxChannel | None = None,
    thread: Conversation | None = None,
    new_thread: bool = False,
    attachments: Sequence[IncomingFile] = (),
) -> Received:
    """Store an inbound message once, in the right conversation, linked to the right contact.

    Used by every channel. A replayed provider id returns the stored message (created=False),
    also when two deliveries race. The sender is matched with contacts.matching: one contact
    links, several leave the conversation "contact to confirm", none creates an ephemeral
    contact. A blocked sender's message is stored and flagged but not routed. Raises
    ValidationError for a malformed address.

    The message continues the sender's not-resolved conversation in the inbox, unless
    `thread` names the conversation it answers (e-mail threading, reopened if resolved) or
    `new_thread` asks for a new one (an e-mail that answers nothing). `inbox_channel` is our
    number or address it was sent to. Attachments with content are stored at once; those
    with only a `source_url` (provider media) are stored empty for a task to fetch.
    """
    existing = Message.objects.filter(
        provider=provider, provider_message_id=provider_message_id
    ).first()
    if existing:
        return Received(existing, created=False)
    try:
        with transaction.atomic():
            message = _store_inbound(
                inbox=inbox,
                channel=channel,
                address=address,
                body=body[:MAX_BODY],
                html=html,
                subject=subject,
                provider=provider,
                provider_message_id=provider_message_id,
                received_at=received_at or timezone.now(),
                inbox_channel=inbox_channel,
                thread=thread,
                new_thread=new_thread,
            )
            _store_attachments(message, attachments)
    except IntegrityError:
        # The same provider id was stored by a concurrent delivery a moment ago.
        message = Message.objects.get(provider=provider, provider_message_id=provider_message_id)
        return Received(message, created=False)
    return Received(message, created=True)


def _store_inbound(
    *,
    inbox: Inbox,
    channel: str,
    address: str,
    received_at: datetime,
    inbox_channel: InboxChannel | None,
    thread: Conversation | None,
    new_thread: bool,
    **fields: Any,
) -> Message:
    match = match_contacts(channel, address)
    contact, identity, state, candidates = None, None, ContactState.LINKED, []
    if match.state == "one":
        contact = match.contact
    elif match.state == "several":
        state, candidates = ContactState.TO_CONFIRM, [c.pk for c in match.contacts]
    else:
        try:
            contact = contact_actions.create_contact(
                actor=None,
                kind=ContactKind.EPHEMERAL,
                identities=[(CHANNEL_KINDS[channel][0], address)],
                source=IdentitySource.INBOUND,
            )
        except contact_actions.IdentityTaken as taken:
            # A concurrent first message from the same sender created the contact just now.
            contact = taken.identity.contact
    if contact is not None:
        identity = (
            Identity.objects.filter(
                contact=contact, kind__in=CHANNEL_KINDS[channel], normalised=match.normalised
            )
            .order_by("id")
            .first()
        )
    blocked = bool(contact and contact.is_blocked)
    if thread is not None:
        conversation = Conversation.objects.select_for_update().get(pk=thread.pk)
    elif new_thread:
        conversation = None
    else:
        conversation = _open_conversation(inbox, channel, match.normalised, contact)
    if conversation is None:
        conversation = Conversation.objects.create(
            inbox=inbox,
            contact=contact,
            contact_state=state,
            candidate_ids=candidates,
            identity=identity,
            channel=channel,
            address=match.normalised,
            inbox_channel=inbox_channel,
            number=next_number(),
            subject=fields.get("subject", "")[:300],
            is_flagged=blocked,
            last_message_at=received_at,
            created_at=received_at,
        )
        _event(conversation, ConversationEvent.Kind.CREATED, channel=channel)
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.INBOUND,
        status=DeliveryStatus.RECEIVED,
        is_flagged=blocked,
        created_at=received_at,
        body=fields["body"],
        language=guess_language(fields["body"]),
        html=sanitise_email_html(fields["html"]),
        provider=fields["provider"],
        provider_message_id=fields["provider_message_id"],
    )
    changes = {
        "last_message_at": received_at,
        "last_message_preview": _preview(fields["body"]),
        "waiting_since": conversation.waiting_since or received_at,
        "status": ConversationStatus.OPEN,
        "is_flagged": blocked,
    }
    if conversation.inbox_channel_id is None and inbox_channel is not None:
        changes["inbox_channel"] = inbox_channel
    conversation.touch(**changes)
    if identity is not None:
        Identity.objects.filter(pk=identity.pk).update(last_seen_at=received_at)
    if contact is not None:
        Contact.objects.filter(pk=contact.pk).update(last_activity_at=received_at)
    return message


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


def _open_conversation(
    inbox: Inbox, channel: str, address: str, contact: Contact | None
) -> Conversation | None:
    """The not-resolved conversation this message continues, locked, or None."""
    candidates = (
        Conversation.objects.select_for_update()
        .filter(inbox=inbox, channel=channel)
        .exclude(status=ConversationStatus.RESOLVED)
    )
    candidates = (
        candidates.filter(contact=contact)
        if contact is not None
        else candidates.filter(address=address)
    )
    return candidates.order_by("-last_message_at", "-id").first()


def _preview(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"


@transaction.atomic
def reply(
    conversation: Conversation, *, body: str, actor: Any, client_id: uuid.UUID | None = None
) -> Message:
    """Store an agent's reply as `queued` and hand it to delivery after commit.

    Refused (PermissionDenied) when the inbox's mode does not let `actor` reply — in
    assignment mode only the assignee may. A repeated `client_id` (double submit) returns
    the message stored the first time instead of a second one.
    """
    body = body.strip()
    if not body:
        raise ValidationError({"body": [_("Write a reply first.")]})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": [_("The reply is too long.")]})
    if client_id is not None:
        existing = Message.objects.filter(client_id=client_id, conversation=conversation).first()
        if existing:
            return existing
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("inbox", "contact")
        .get(pk=conversation.pk)
    )
    rights = rights_in(actor, conversation)
    if not rights.can_reply:
        raise PermissionDenied(rights.reply_blocked_reason)
    return queue_outbound(conversation, body=body, actor=actor, client_id=client_id)


def queue_outbound(
    conversation: Conversation, *, body: str, actor: Any, client_id: uuid.UUID | None = None
) -> Message:
    """The one path of every outbound message: a `queued` row, delivered after commit by
    inbox.tasks.deliver_message. The caller holds the transaction and checked the rights."""
    from inbox.tasks import enqueue_delivery

    now = timezone.now()
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        body=body,
        language=guess_language(body),
        author=actor,
        status=DeliveryStatus.QUEUED,
        client_id=client_id,
        created_at=now,
        due_at=now,
    )
    conversation.touch(last_message_at=now, last_message_preview=_preview(body), waiting_since=None)
    _event(conversation, ConversationEvent.Kind.REPLY_SENT, actor, message=message.pk)
    enqueue_delivery(message.pk)
    return message


@transaction.atomic
def add_comment(
    conversation: Conversation, *, body: str, actor: Any, message: Message | None = None
) -> Comment:
    """An internal comment; it can never be changed or deleted afterwards."""
    if rights_in(actor, conversation).role is None:
        raise PermissionDenied
    body = body.strip()
    if not body:
        raise ValidationError({"body": [_("Write a comment first.")]})
    if message is not None and message.conversation_id != conversation.pk:
        raise ActionRefused(_("That message belongs to another conversation."))
    comment = Comment.objects.create(
        conversation=conversation, message=message, author=actor, body=body
    )
    conversation.touch()
    return comment


@transaction.atomic
def set_status(conversation: Conversation, *, status: str, actor: Any) -> None:
    """Open, pend or resolve. Whoever may reply may do it; managers always."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("inbox", "contact")
        .get(pk=conversation.pk)
    )
    rights = rights_in(actor, conversation)
    if not (rights.can_manage or rights.can_reply or (rights.role and conversation.is_flagged)):
        raise PermissionDenied(rights.reply_blocked_reason)
    if status not in ConversationStatus.values or conversation.status == status:
        return
    old = conversation.status
    waiting = None if status == ConversationStatus.RESOLVED else conversation.waiting_since
    conversation.touch(status=status, waiting_since=waiting)
    _event(conversation, ConversationEvent.Kind.STATUS, actor, old=old, new=status)


def mark_read(conversation: Conversation, *, user: Any) -> None:
    """Record that `user` has seen the conversation as it is now: one upsert, skipped when
    nothing arrived since they last read it (`read_at`, when the caller loaded it, as
    access_conversation does). The conversation's `read_at` is then now."""
    read_at = getattr(conversation, "read_at", None)
    if read_at is not None and read_at >= conversation.last_message_at:
        return
    now = timezone.now()
    ReadMarker.objects.bulk_create(
        [ReadMarker(user=user, conversation=conversation, read_at=now)],
        update_conflicts=True,
        unique_fields=["user", "conversation"],
        update_fields=["read_at"],
    )
    conversation.read_at = now  # type: ignore[attr-defined]
