"""What agents do in a conversation: reply (and send again), comment, change the status,
mark it read; and the one outbound path every message takes (`queue_outbound`). Each action
is atomic and writes a ConversationEvent; deliveries are enqueued only after commit."""

import uuid
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from inbox.access import rights_in
from inbox.hooks import run_status_change
from inbox.language import guess_language
from inbox.models import (
    CONVERSATION_NUMBERS,
    Attachment,
    Comment,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    Counter,
    DeliveryStatus,
    Direction,
    Message,
    ReadMarker,
)
from inbox.notifications import count_read
from inbox.reply_files import ReplyFile
from inbox.tasks import enqueue_delivery
from lib.errors import ActionRefused
from lib.events import emit

MAX_BODY = 50_000
PREVIEW_LENGTH = 140


def next_number() -> int:
    """The next conversation number (unique, increasing; a rolled-back one is not reused)."""
    return next_numbers(1)[0]


def next_numbers(count: int) -> list[int]:
    """`count` new conversation numbers, in increasing order, in one statement. PostgreSQL
    takes them from a sequence, which locks nothing: routing workers creating conversations
    at the same moment do not wait for each other's commits. Elsewhere (SQLite) the counter
    row hands them out and stays locked until the caller's transaction ends."""
    if count < 1:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)", [CONVERSATION_NUMBERS, count]
            )
            return sorted(int(value) for (value,) in cursor.fetchall())
        table = connection.ops.quote_name(Counter._meta.db_table)
        # One statement where the row exists (every time but the first).
        cursor.execute(
            f"UPDATE {table} SET value = value + %s WHERE name = %s RETURNING value",  # noqa: S608
            [count, "conversation"],
        )
        row = cursor.fetchone()
    if row is None:
        Counter.objects.get_or_create(name="conversation")
        Counter.objects.filter(name="conversation").update(value=F("value") + count)
        row = (Counter.objects.get(name="conversation").value,)
    last = int(row[0])
    return list(range(last - count + 1, last + 1))


def preview(body: str) -> str:
    """The list row's one-line excerpt of a message."""
    text = " ".join(body.split())
    return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"


@transaction.atomic
def reply(
    conversation: Conversation,
    *,
    body: str,
    actor: User,
    client_id: uuid.UUID | None = None,
    files: Sequence[ReplyFile] = (),
) -> Message:
    """Store an agent's reply as `queued`, with its checked `files` (inbox.reply_files) as
    attachments, and hand it to delivery after commit.

    Refused (PermissionDenied) when the inbox's mode does not let `actor` reply — in
    assignment mode only the assignee may. A repeated `client_id` (double submit) returns
    the message stored the first time instead of a second one (its files stored once).
    """
    body = body.strip()
    if not body and not files:
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
    return queue_outbound(conversation, body=body, actor=actor, client_id=client_id, files=files)


def queue_outbound(
    conversation: Conversation,
    *,
    body: str,
    actor: User | None,
    client_id: uuid.UUID | None = None,
    files: Sequence[ReplyFile] = (),
) -> Message:
    """The one path of every outbound message (actor None: Switchboard itself, e.g. an
    opt-out confirmation): a `queued` row with its attachments (files written to the default
    storage), delivered after commit by inbox.tasks.deliver_message. The caller holds the
    transaction and checked the rights (and the files, inbox.reply_files)."""
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
    for file in files:
        attachment = Attachment(
            message=message,
            filename=file.filename,
            content_type=file.kind.content_type,
            size=file.size,
        )
        attachment.file.save(file.filename, file.upload, save=False)
        attachment.save()
    shown = body or ", ".join(file.filename for file in files)
    conversation.touch(last_message_at=now, last_message_preview=preview(shown), waiting_since=None)
    ConversationEvent.objects.record(
        conversation, ConversationEvent.Kind.REPLY_SENT, actor=actor, message=message.pk
    )
    emit(Organisation.SINGLETON_ID, "message.created", {"message": message.pk}, personal=True)
    enqueue_delivery(message.pk)
    return message


@transaction.atomic
def add_comment(
    conversation: Conversation, *, body: str, actor: User, message: Message | None = None
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
def set_status(conversation: Conversation, *, status: str, actor: User) -> None:
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
    ConversationEvent.objects.record(
        conversation, ConversationEvent.Kind.STATUS, actor=actor, old=old, new=status
    )
    emit(
        Organisation.SINGLETON_ID,
        "conversation.status_changed",
        {"conversation": conversation.pk, "old": old},
    )
    # What later apps do on a status change (a survey on resolve): inbox.hooks.
    run_status_change(conversation, old=old, new=status, actor=actor)


def mark_read(conversation: Conversation, *, user: User) -> bool:
    """Record that `user` has seen the conversation as it is now: one upsert, skipped when
    nothing arrived since they last read it (`read_at`, when the caller loaded it, as
    access_conversation does). The conversation's `read_at` is then now. Returns whether it
    wrote (the unread count may have changed)."""
    read_at = getattr(conversation, "read_at", None)
    if read_at is not None and read_at >= conversation.last_message_at:
        return False
    # Whether it counted as unread, known only when the caller loaded `read_at`.
    was_unread = conversation.is_unread_by(user) if hasattr(conversation, "read_at") else None
    now = timezone.now()
    ReadMarker.objects.bulk_create(
        [ReadMarker(user=user, conversation=conversation, read_at=now)],
        update_conflicts=True,
        unique_fields=["user", "conversation"],
        update_fields=["read_at"],
    )
    conversation.read_at = now  # type: ignore[attr-defined]
    count_read(user, conversation, was_unread=was_unread)
    return True


@transaction.atomic
def retry(message: Message, *, actor: User) -> Message:
    """Send a failed (or unknown) reply again: back to `queued`, delivered after commit.

    Refused (PermissionDenied) when `actor` may not reply in the conversation, and
    (ActionRefused) for a message that neither failed nor may have failed to go out."""
    conversation = Conversation.objects.select_related("inbox", "contact").get(
        pk=message.conversation_id
    )
    rights = rights_in(actor, conversation)
    if not rights.can_reply:
        raise PermissionDenied(rights.reply_blocked_reason)
    if message.direction != Direction.OUTBOUND or message.status not in (
        DeliveryStatus.FAILED,
        DeliveryStatus.UNKNOWN,
    ):
        raise ActionRefused(
            _("Only a message that failed or may not have gone out can be retried.")
        )
    Message.objects.filter(pk=message.pk, status=message.status).update(
        status=DeliveryStatus.QUEUED,
        due_at=timezone.now(),
        attempts=0,
        error="",
        error_code="",
        provider_message_id=None,
    )
    ConversationEvent.objects.record(
        conversation, ConversationEvent.Kind.REPLY_SENT, actor=actor, message=message.pk, retry=True
    )
    conversation.touch()
    enqueue_delivery(message.pk)
    message.refresh_from_db()
    return message
