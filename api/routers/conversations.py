"""/api/v1/conversations (read) and /api/v1/messages (send)."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Status

from api.access import api_contact, api_conversation, api_inbox, visible_conversations
from api.actions import send_message
from api.auth import scope
from api.idempotency import idempotency_key
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from api.routers import responses
from api.schemas import ConversationOut, ConversationPage, MessagePage, SendIn, SentOut
from api.scopes import Scope
from inbox.models import Message

router = Router()
messages_router = Router()
READ = scope(Scope.CONVERSATIONS_READ)
SEND = scope(Scope.MESSAGES_WRITE)


def _principal(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


@router.get("", response=responses(200, ConversationPage), auth=READ, summary="List conversations")
def list_conversations(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    inbox: int | None = None,
    status: Literal["open", "pending", "resolved"] | None = None,
    updated_since: datetime | None = None,
) -> Any:
    """Conversations of the token's inboxes in the order they last changed: (updated_at,
    id). An inbox the token may not see is 404. Scope: conversations:read."""
    principal = _principal(request)
    conversations = visible_conversations(principal)
    if inbox is not None:
        conversations = conversations.filter(inbox=api_inbox(principal, inbox))
    if status is not None:
        conversations = conversations.filter(status=status)
    if updated_since is not None:
        conversations = conversations.filter(updated_at__gte=updated_since)
    return keyset_page(
        request, conversations, ordering=("updated_at", "id"), cursor=cursor, limit=limit
    )


@router.get(
    "/{int:conversation_id}",
    response=responses(200, ConversationOut),
    auth=READ,
    summary="Get a conversation",
)
def get_conversation(request: HttpRequest, conversation_id: int) -> Any:
    """Scope: conversations:read."""
    return api_conversation(_principal(request), conversation_id)


@router.get(
    "/{int:conversation_id}/messages",
    response=responses(200, MessagePage),
    auth=READ,
    summary="List a conversation's messages",
)
def list_messages(
    request: HttpRequest,
    conversation_id: int,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> Any:
    """Oldest first. Scope: conversations:read."""
    conversation = api_conversation(_principal(request), conversation_id)
    messages = Message.objects.filter(conversation=conversation)
    return keyset_page(request, messages, ordering=("created_at", "id"), cursor=cursor, limit=limit)


@messages_router.post("", response=responses(201, SentOut), auth=SEND, summary="Send a message")
def send(request: HttpRequest, payload: SendIn) -> Any:
    """Send to one of a contact's addresses from one of the token's inboxes, through the
    same outbound path as an agent's message: queued, then delivered. Refused (422) for a
    blocked contact, an address that opted out on the channel, an address that is not the
    contact's, or an inbox without a sender on the channel. Send it with an
    Idempotency-Key: a retry then never sends twice. Scope: messages:write."""
    principal = _principal(request)
    inbox = api_inbox(principal, payload.inbox_id)
    contact = api_contact(principal, payload.contact_id)
    sent = send_message(
        principal,
        contact,
        inbox=inbox,
        channel=payload.channel,
        address=payload.address,
        body=payload.body,
        subject=payload.subject,
        idempotency_key=idempotency_key(request) or "",
    )
    return Status(
        201,
        {
            "message": sent.message,
            "conversation_id": sent.conversation.pk,
            "new_conversation": sent.new_conversation,
        },
    )
