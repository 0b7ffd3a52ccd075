"""Receiving: every channel stores an inbound message through `receive_message`."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import get_valid_filename

from accounts.models import Organisation
from contacts import senders as contact_senders
from contacts.identities import CHANNEL_KINDS
from contacts.matching import Match, match_many, normalised_sender
from contacts.models import Contact, Identity
from inbox.actions.conversations import MAX_BODY, next_numbers, preview
from inbox.hooks import Intercepted, run_inbound_many, run_intercepts
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
from lib.events import emit, emit_many


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
    deliveries race: the unique provider id refuses the second, whose savepoint is undone
    whole. The sender is matched with contacts.matching: one contact links, several leave the
    conversation "contact to confirm", none creates an ephemeral contact. A blocked sender's
    message is stored and flagged but not routed. Raises ValidationError for a malformed
    address. What receive_messages does for a batch of one.
    """
    (received,) = receive_messages([incoming])
    if isinstance(received, ValidationError):
        raise received
    return received


def receive_messages(incomings: Sequence[IncomingMessage]) -> list[Received | ValidationError]:
    """Store inbound messages, oldest first (a batch of stored events), each as
    receive_message describes, in a fixed number of statements for the whole batch: one
    look-up of replays, one lock of the senders, one match of all senders, one look-up (and
    lock) of the conversations they continue, then one INSERT each for new contacts,
    conversations and messages and one UPDATE for the continued conversations. Returns, per
    message in order, what was received or the ValidationError of a malformed address.

    Later messages of a sender in the batch continue the conversation an earlier one
    started. On PostgreSQL the senders are locked (an advisory lock per address until the
    transaction ends), so two workers routing the same sender at once take turns and start
    one conversation, not two; a conversation's last message and preview only move forward
    in time. A later app may claim a message before routing (inbox.hooks intercepts: a survey
    score by SMS): it is stored quietly where the claim says and handed to it instead of the
    inbound hooks. Runs in a savepoint: when a concurrent delivery stored one of the provider
    ids first, the batch is undone and its messages stored one by one."""
    if not incomings:
        return []
    try:
        with transaction.atomic():
            return _receive(incomings)
    except IntegrityError:
        if len(incomings) > 1:
            return [item for incoming in incomings for item in receive_messages([incoming])]
        stored = Message.objects.filter(
            provider=incomings[0].provider,
            provider_message_id=incomings[0].provider_message_id,
        ).first()
        if stored is None:
            raise
        return [Received(stored, created=False)]


@dataclass
class _Sender:
    """One message of the batch that is neither a replay nor refused, as it is routed."""

    index: int
    incoming: IncomingMessage
    received_at: datetime
    normalised: str
    claim: Intercepted | None = None
    match: Match | None = None
    identity: Identity | None = None


@dataclass
class _Batch:
    """What routing a batch writes, gathered before one statement per kind writes it."""

    now: datetime
    new: list[Conversation] = field(default_factory=list)
    changed: dict[int, Conversation] = field(default_factory=dict)
    old_status: dict[int, str] = field(default_factory=dict)
    claimed: set[int] = field(default_factory=set)
    messages: list[tuple[_Sender, Message]] = field(default_factory=list)


def _receive(incomings: Sequence[IncomingMessage]) -> list[Received | ValidationError]:
    results: list[Received | ValidationError | None] = [None] * len(incomings)
    batch = _Batch(now=timezone.now())
    stored = _stored(incomings)
    first_of: dict[tuple[str, str], int] = {}
    duplicates: list[tuple[int, int]] = []
    senders: list[_Sender] = []
    for index, incoming in enumerate(incomings):
        key = (incoming.provider, incoming.provider_message_id)
        if key in stored:
            results[index] = Received(stored[key], created=False)
        elif key in first_of:
            duplicates.append((index, first_of[key]))
        else:
            first_of[key] = index
            try:
                normalised = normalised_sender(incoming.channel, incoming.address)
            except ValidationError as invalid:
                results[index] = invalid
                continue
            received_at = incoming.received_at or batch.now
            senders.append(_Sender(index, incoming, received_at, normalised))
    if senders:
        _lock_senders({sender.normalised for sender in senders})
        new_contacts = _identify(senders)
        threads, continued = _conversations(senders, new_contacts)
        for sender in senders:
            _place(sender, batch, threads, continued)
        for sender, message in _write(batch):
            results[sender.index] = Received(message, created=True)
    for index, first in duplicates:
        found = results[first]
        results[index] = Received(found.message, False) if isinstance(found, Received) else found
    done = [result for result in results if result is not None]
    assert len(done) == len(incomings)  # every message was stored, found or refused
    return done


def _identify(senders: list[_Sender]) -> set[int]:
    """Ask the intercepts about each message, match every sender in one query and create
    one ephemeral contact per unknown sender; returns the new contacts' ids."""
    for sender in senders:
        sender.claim = run_intercepts(sender.incoming)
    matches = match_many((s.incoming.channel, s.incoming.address) for s in senders)
    unknown: dict[tuple[str, str], tuple[str, str, str]] = {}
    for sender in senders:
        match = matches[(sender.incoming.channel, sender.incoming.address)]
        assert isinstance(match, Match)  # malformed addresses were refused before
        sender.match = match
        if match.state == "none":
            kind = CHANNEL_KINDS[sender.incoming.channel][0]
            sent_from = (kind, sender.incoming.address, sender.normalised)
            unknown.setdefault((kind, sender.normalised), sent_from)
        elif match.state == "one":
            sender.identity = match.identity
    created = contact_senders.create_ephemeral_contacts(list(unknown.values()))
    for sender in senders:
        if sender.identity is None and sender.match is not None and sender.match.state == "none":
            kind = CHANNEL_KINDS[sender.incoming.channel][0]
            sender.identity = created[(kind, sender.normalised)]
    return {identity.contact_id for identity in created.values()}


def _place(
    sender: _Sender,
    batch: _Batch,
    threads: dict[int, Conversation],
    continued: dict[tuple[Any, ...], Conversation],
) -> None:
    """Choose the message's conversation (new, continued or claimed), change it in memory
    and add the message to the batch."""
    incoming, received_at, match = sender.incoming, sender.received_at, sender.match
    assert match is not None
    identity = sender.identity
    contact = identity.contact if identity is not None else None
    blocked = bool(contact and contact.is_blocked)
    body = incoming.body[:MAX_BODY]
    state: dict[str, Any] = {
        "last_message_at": received_at,
        "last_message_preview": preview(body),
        "status": ConversationStatus.OPEN,
        "is_flagged": blocked,
    }
    key = _key(incoming, contact, match.normalised)
    conversation: Conversation | None
    if sender.claim is not None:
        # Claimed (inbox.hooks.Intercepted): not routed — no reopening, nobody waits.
        state["status"] = ConversationStatus.RESOLVED
        conversation = sender.claim.conversation
    elif incoming.thread is not None:
        conversation = threads[incoming.thread.pk]
    elif incoming.new_thread:
        conversation = None
    else:
        conversation = continued.get(key)
    if match.state == "several" and conversation is not None:
        if conversation.contact_id in match.identities:
            # The agent chose one of the contacts sharing the address for this conversation.
            identity = sender.identity = match.identities[conversation.contact_id]
            blocked = state["is_flagged"] = identity.contact.is_blocked
        elif conversation.contact_id is None:
            # Not chosen yet: the chooser lists whoever shares the address now.
            state["candidate_ids"] = [c.pk for c in match.contacts]
    if conversation is None:
        several = match.state == "several"
        conversation = Conversation(
            inbox=incoming.inbox,
            contact=contact,
            contact_state=ContactState.TO_CONFIRM if several else ContactState.LINKED,
            candidate_ids=[c.pk for c in match.contacts] if several else [],
            identity=identity,
            channel=incoming.channel,
            address=match.normalised,
            inbox_channel=incoming.inbox_channel,
            subject=incoming.subject[:300],
            waiting_since=None if sender.claim is not None else received_at,
            created_at=received_at,
            updated_at=batch.now,
            **state,
        )
        batch.new.append(conversation)
        if sender.claim is None:
            continued[key] = conversation  # the sender's later messages continue it
    elif sender.claim is not None:
        batch.claimed.add(conversation.pk)
    else:
        if conversation.pk is not None and conversation.pk not in batch.changed:
            batch.changed[conversation.pk] = conversation
            batch.old_status[conversation.pk] = conversation.status
        _continue(conversation, state, incoming, received_at)
    message = Message(
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
    batch.messages.append((sender, message))


def _write(batch: _Batch) -> list[tuple[_Sender, Message]]:
    """Write the batch (one statement per kind of row), emit its events and run the hooks."""
    new = batch.new
    for conversation, number in zip(new, next_numbers(len(new)), strict=True):
        conversation.number = number
    Conversation.objects.bulk_create(new)
    ConversationEvent.objects.bulk_create(
        ConversationEvent(
            conversation=conversation,
            kind=ConversationEvent.Kind.CREATED,
            data={"channel": conversation.channel},
        )
        for conversation in new
    )
    emit_many(
        Organisation.SINGLETON_ID,
        "conversation.created",
        [{"conversation": conversation.pk} for conversation in new],
    )
    if new:
        stamps.bump_on_commit(inbox_stamp_keys({conversation.inbox_id for conversation in new}))
    Conversation.objects.touch_each(list(batch.changed.values()), CONTINUED_FIELDS)
    for pk, old in batch.old_status.items():
        if batch.changed[pk].status != old:  # a pending conversation the customer reopened
            emit(
                Organisation.SINGLETON_ID,
                "conversation.status_changed",
                {"conversation": pk, "old": old},
            )
    if batch.claimed:
        Conversation.objects.filter(pk__in=batch.claimed).touch()
    messages = batch.messages
    Message.objects.bulk_create([message for _sender, message in messages])
    for sender, message in messages:
        _store_attachments(message, sender.incoming.attachments)
    emit_many(
        Organisation.SINGLETON_ID,
        "message.created",
        [{"message": message.pk} for _sender, message in messages],
        personal=True,
    )
    contact_senders.record_activities(
        [(s.identity, s.received_at) for s, _message in messages if s.identity is not None]
    )
    for sender, message in messages:
        if sender.claim is not None:
            sender.claim.claimed(message)
    # What later apps do with a new message (a STOP leaves campaigns): inbox.hooks.
    run_inbound_many([message for sender, message in messages if sender.claim is None])
    return messages


# What a message changes on the conversation it continues (inbox_channel: the first one).
CONTINUED_FIELDS = [
    "last_message_at",
    "last_message_preview",
    "status",
    "is_flagged",
    "waiting_since",
    "inbox_channel",
    "candidate_ids",
]


def _continue(
    conversation: Conversation, state: dict[str, Any], incoming: IncomingMessage, at: datetime
) -> None:
    """Apply a message's `state` to the conversation it continues, in memory: a message
    older than the conversation's last one (routed late by another worker) leaves the last
    message's time and preview alone."""
    if conversation.inbox_channel_id is None and incoming.inbox_channel is not None:
        conversation.inbox_channel = incoming.inbox_channel
    conversation.waiting_since = conversation.waiting_since or at
    if at < conversation.last_message_at:
        state = {
            k: v for k, v in state.items() if k not in ("last_message_at", "last_message_preview")
        }
    for name, value in state.items():
        setattr(conversation, name, value)


def _key(incoming: IncomingMessage, contact: Contact | None, address: str) -> tuple[Any, ...]:
    """What a continued conversation is found by: the sender's contact, or the address when
    several contacts share it."""
    if contact is not None:
        return (incoming.inbox.pk, incoming.channel, "contact", contact.pk)
    return (incoming.inbox.pk, incoming.channel, "address", address)


def _stored(incomings: Sequence[IncomingMessage]) -> dict[tuple[str, str], Message]:
    """The messages already stored under these provider ids (replays)."""
    ids = {incoming.provider_message_id for incoming in incomings}
    providers = {incoming.provider for incoming in incomings}
    rows = Message.objects.filter(provider__in=providers, provider_message_id__in=ids)
    return {(row.provider, row.provider_message_id or ""): row for row in rows}


def _lock_senders(addresses: set[str]) -> None:
    """Hold a transaction-level advisory lock on each sender's address (PostgreSQL), taken
    in one statement in a fixed order, so concurrent batches never deadlock on them. SQLite
    has one writer at a time anyway."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({_lock_key(address) for address in addresses})
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(key) FROM unnest(%s::bigint[]) AS key", [keys])


def _lock_key(address: str) -> int:
    digest = hashlib.blake2b(f"inbound-sender:{address}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _conversations(
    senders: list[_Sender], new_contacts: set[int]
) -> tuple[dict[int, Conversation], dict[tuple[Any, ...], Conversation]]:
    """The conversations the senders' messages continue, locked, in one query: those named
    as threads (e-mail) by id, and each sender's newest not-resolved one in the inbox and
    channel by key (_key). Contacts created by this batch have none yet."""
    condition = Q()
    thread_ids = {s.incoming.thread.pk for s in senders if s.incoming.thread is not None}
    if thread_ids:
        condition |= Q(pk__in=thread_ids)
    wanted: dict[tuple[int, str], tuple[set[int], set[str]]] = {}
    for sender in senders:
        incoming = sender.incoming
        if sender.claim is not None or incoming.thread is not None or incoming.new_thread:
            continue
        contacts, addresses = wanted.setdefault(
            (incoming.inbox.pk, incoming.channel), (set(), set())
        )
        if sender.identity is not None:
            if sender.identity.contact_id not in new_contacts:
                contacts.add(sender.identity.contact_id)
        else:
            addresses.add(sender.normalised)
    for (inbox_id, channel), (contacts, addresses) in wanted.items():
        same = Q(inbox_id=inbox_id, channel=channel) & ~Q(status=ConversationStatus.RESOLVED)
        if contacts:
            condition |= same & Q(contact_id__in=sorted(contacts))
        if addresses:
            condition |= same & Q(address__in=sorted(addresses))
    threads: dict[int, Conversation] = {}
    continued: dict[tuple[Any, ...], Conversation] = {}
    if not condition:
        return threads, continued
    rows = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("identity", "inbox")
        .filter(condition)
        .order_by("-last_message_at", "-id")
    )
    for row in rows:
        if row.pk in thread_ids:
            threads[row.pk] = row
        if row.status == ConversationStatus.RESOLVED:
            continue
        if row.contact_id is not None:
            continued.setdefault((row.inbox_id, row.channel, "contact", row.contact_id), row)
        continued.setdefault((row.inbox_id, row.channel, "address", row.address), row)
    return threads, continued


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
