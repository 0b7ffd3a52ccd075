"""What a visitor does through the widget: write (through the inbox's one inbound path),
sign in with the host's token, leave an e-mail address, pass consent; and what the widget
reports back about the agents' replies (fetched: delivered; shown: read).

A visitor row is created only when the visitor does one of these — opening a page with the
widget stores nothing (the chat-only consent mode relies on it).
"""

import secrets
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts import actions as contact_actions
from contacts.identities import IdentityKind, normalise
from contacts.matching import match_contacts
from contacts.models import Contact, ContactKind, Identity, IdentitySource
from inbox.actions.receiving import IncomingFile, IncomingMessage, Received, receive_message
from inbox.delivery import lower_than
from inbox.models import (
    Channel,
    Conversation,
    ConversationEvent,
    ConversationQuerySet,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Message,
    conversation_stamp_key,
)
from lib import ratelimit, stamps
from webchat.identity import Claims
from webchat.models import WebVisitor, WebWidget, token_hash, visitor_stamp_key

PROVIDER = "web"
# A visitor seen again within this long keeps the last_seen_at it has.
SEEN_RESOLUTION = timedelta(seconds=30)


def _changed(visitor: WebVisitor) -> None:
    """The visitor's widgets (every tab of theirs) draw again after this commits."""
    stamps.bump_on_commit([visitor_stamp_key(visitor.token_hash)])


def is_present(visitor: WebVisitor) -> bool:
    """Whether the visitor's widget is open: it made a request within the rate limit's
    window (a minute; the widget polls every second). The limit's counter says so, at no
    cost to the poll. True when the counter cannot be read: the reply then waits in the
    widget rather than going by e-mail to someone who may still be there."""
    hits = ratelimit.used("webchat", settings.WEBCHAT_RATE_LIMIT, visitor.token_hash)
    return hits is None or hits > 0


def visitor_for_token(widget: WebWidget, token: str) -> WebVisitor:
    """The visitor keeping `token` in their browser, created the first time (anonymous,
    with an address of its own)."""
    digest = token_hash(token)
    visitor = WebVisitor.objects.filter(token_hash=digest, widget=widget).first()
    for _attempt in range(3):
        if visitor is not None:
            break
        try:
            with transaction.atomic():
                visitor = WebVisitor.objects.create(
                    widget=widget, token_hash=digest, anonymous_address=new_anonymous_address()
                )
        except IntegrityError:
            # The same browser's other request created it a moment ago (or, rarely, the
            # random address is taken: then the next attempt draws another).
            visitor = WebVisitor.objects.filter(token_hash=digest, widget=widget).first()
    if visitor is None:
        raise RuntimeError("no address left for a new web visitor")  # 2**48 addresses
    visitor.widget = widget
    return visitor


def new_anonymous_address() -> str:
    """What an anonymous visitor's conversations show as their address until an agent
    names the contact: short enough to read out ("web-3fa9c01b2e4d"), random, unique."""
    return f"web-{secrets.token_hex(6)}"


def receive_visitor_message(
    visitor: WebVisitor, *, body: str, client_id: str, files: Sequence[IncomingFile] = ()
) -> Received:
    """Store what the visitor wrote as an inbound message on the web channel, through
    `receive_message` (matching, ephemeral contacts, routing and live updates as every
    channel has them). `client_id` (the widget's own id for the message) makes a retried
    send store it once. A pending e-mail mismatch is shown to the agents now."""
    incoming = IncomingMessage(
        inbox=visitor.widget.inbox,
        channel=Channel.WEB,
        address=visitor.address,
        body=body,
        provider=PROVIDER,
        provider_message_id=f"{visitor.pk}:{client_id}"[:200],
        attachments=tuple(files),
    )
    received = receive_message(incoming)
    conversation = received.message.conversation
    changes: dict[str, object] = {"last_seen_at": timezone.now()}
    if conversation.contact_id and conversation.contact_id != visitor.contact_id:
        changes["contact_id"] = conversation.contact_id
    if received.created and visitor.mismatch_pending:
        ConversationEvent.objects.record(
            conversation, ConversationEvent.Kind.WEB_EMAIL_MISMATCH, visitor=visitor.pk
        )
        conversation.touch()
        changes["mismatch_pending"] = False
    WebVisitor.objects.filter(pk=visitor.pk).update(**changes)
    for name, value in changes.items():
        setattr(visitor, name, value)
    _changed(visitor)
    return received


@transaction.atomic
def identify_visitor(visitor: WebVisitor, claims: Claims) -> bool:
    """Sign the visitor in as the host's user `claims.sub`: linked to the contact holding
    the external id `<public id>:<sub>` (created if new, with the token's e-mail and phone
    as identities where nobody holds them). Returns True when the token's e-mail differs
    from the contact's on file — the agents are told (on the visitor's next message)."""
    external = visitor.widget.external_prefix + claims.sub
    match = match_contacts(IdentityKind.EXTERNAL_ID, external)
    contact = match.contact
    mismatch = False
    if contact is None:
        contact = _new_signed_in_contact(external, claims)
    elif claims.email:
        on_file = set(
            Identity.objects.filter(contact=contact, kind=IdentityKind.EMAIL).values_list(
                "normalised", flat=True
            )
        )
        mismatch = bool(on_file) and _normalised_email(claims.email) not in on_file
    WebVisitor.objects.filter(pk=visitor.pk).update(
        external_id=external,
        contact=contact,
        mismatch_pending=mismatch,
        last_seen_at=timezone.now(),
    )
    visitor.external_id, visitor.contact, visitor.mismatch_pending = external, contact, mismatch
    _changed(visitor)
    if mismatch:
        open_conversation = _open_conversation(visitor)
        if open_conversation is not None:
            ConversationEvent.objects.record(
                open_conversation, ConversationEvent.Kind.WEB_EMAIL_MISMATCH, visitor=visitor.pk
            )
            open_conversation.touch()
            WebVisitor.objects.filter(pk=visitor.pk).update(mismatch_pending=False)
            visitor.mismatch_pending = False
    return mismatch


def _normalised_email(value: str) -> str:
    try:
        return normalise(IdentityKind.EMAIL, value)
    except ValidationError:
        return value.strip().lower()


def _new_signed_in_contact(external: str, claims: Claims) -> Contact:
    first, _space, last = claims.name.partition(" ")
    identities = [(IdentityKind.EXTERNAL_ID, external)]
    for kind, value in ((IdentityKind.EMAIL, claims.email), (IdentityKind.PHONE, claims.phone)):
        if value:
            identities.append((kind, value))
    try:
        return contact_actions.create_contact(
            actor=None,
            kind=ContactKind.IDENTIFIED,
            first_name=first[:100],
            last_name=last[:100],
            identities=identities,
            source=IdentitySource.INBOUND,
        )
    except (contact_actions.IdentityTaken, ValidationError):
        # An e-mail or phone someone else holds (or a malformed one): the external id alone
        # makes the contact; agents can merge or claim from the panel.
        return contact_actions.create_contact(
            actor=None,
            kind=ContactKind.IDENTIFIED,
            first_name=first[:100],
            last_name=last[:100],
            identities=identities[:1],
            source=IdentitySource.INBOUND,
        )


def _open_conversation(visitor: WebVisitor) -> Conversation | None:
    return (
        visitor_conversations(visitor)
        .exclude(status=ConversationStatus.RESOLVED)
        .order_by("-last_message_at", "-id")
        .first()
    )


def visitor_conversations(visitor: WebVisitor) -> ConversationQuerySet:
    """The web conversations the visitor may see: a signed-in visitor's contact's (their
    web history in this inbox), an anonymous visitor's own address's only."""
    conversations = Conversation.objects.filter(
        inbox_id=visitor.widget.inbox_id, channel=Channel.WEB
    )
    if visitor.is_verified and visitor.contact_id:
        return conversations.filter(contact_id=visitor.contact_id)
    return conversations.filter(address=visitor.anonymous_address)


@transaction.atomic
def leave_email(visitor: WebVisitor, email: str) -> None:
    """The visitor wants the answer by e-mail (nobody answered): the address is kept on the
    visitor (a reply goes there once they are gone, inbox.channels.web) and added to their
    contact where nobody holds it; the agents see it in the conversation."""
    address = normalise(IdentityKind.EMAIL, email)  # ValidationError for a malformed one
    WebVisitor.objects.filter(pk=visitor.pk).update(email=address)
    visitor.email = address
    _changed(visitor)
    conversation = _open_conversation(visitor)
    if visitor.contact_id:
        try:
            with transaction.atomic():
                Identity.objects.create(
                    contact_id=visitor.contact_id,
                    kind=IdentityKind.EMAIL,
                    value=address,
                    normalised=address,
                    source=IdentitySource.INBOUND,
                )
        except IntegrityError:
            pass  # someone holds it already: the visitor's row still carries it
    if conversation is not None:
        ConversationEvent.objects.record(
            conversation, ConversationEvent.Kind.WEB_EMAIL_LEFT, email=address
        )
        conversation.touch()


def set_consent(visitor: WebVisitor, consent: bool) -> None:
    """The host's consent manager's answer for this visitor (the journey app reads it)."""
    WebVisitor.objects.filter(pk=visitor.pk).update(consent=consent)
    visitor.consent = consent


def acknowledge(messages: Sequence[Message], *, inbox_id: int, shown: bool) -> int:
    """The widget fetched these replies (delivered) and, with the chat open and visible,
    showed them (read): their status moves forward only, in one UPDATE; the agents' thread
    redraws. Returns how many changed."""
    status = DeliveryStatus.READ if shown else DeliveryStatus.DELIVERED
    ids = [
        m.pk
        for m in messages
        if m.direction == Direction.OUTBOUND
        and m.status in lower_than(status)
        and m.status not in (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
    ]
    if not ids:
        return 0
    changed = Message.objects.filter(pk__in=ids, status__in=lower_than(status)).update(
        status=status
    )
    if changed:
        conversation_ids = {m.conversation_id for m in messages}
        Conversation.objects.filter(pk__in=conversation_ids).touch(in_inboxes=[inbox_id])
        stamps.bump_on_commit([conversation_stamp_key(pk) for pk in conversation_ids])
    return changed


def email_if_gone(message: Message) -> str:
    """inbox.channels.web asks before keeping a reply for the widget: the e-mail address
    the visitor left, when their widget is closed now; "" otherwise."""
    conversation = message.conversation
    if conversation.channel != Channel.WEB or not conversation.contact_id:
        return ""
    visitor = (
        WebVisitor.objects.filter(
            widget__inbox_id=conversation.inbox_id, contact_id=conversation.contact_id
        )
        .exclude(email="")
        .order_by("-last_seen_at")
        .first()
    )
    if visitor is None or is_present(visitor):
        return ""
    return visitor.email


def away_after() -> timedelta:
    return timedelta(seconds=settings.WEBCHAT_AWAY_AFTER)
