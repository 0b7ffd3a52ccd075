"""The conversations section of a contact export."""

from typing import Any

from contacts.models import Contact
from inbox.models import Conversation


def conversations_section(contact: Contact) -> tuple[str, Any]:
    conversations = (
        Conversation.objects.filter(contact=contact)
        .select_related("inbox")
        .prefetch_related("messages__author", "comments__author", "messages__attachments")
        .order_by("created_at")
    )
    return "conversations", [
        {
            "number": conversation.number,
            "inbox": conversation.inbox.name,
            "channel": conversation.channel,
            "address": conversation.address,
            "status": conversation.status,
            "created_at": conversation.created_at,
            "messages": [
                {
                    "direction": message.direction,
                    "created_at": message.created_at,
                    "author": str(message.author) if message.author else None,
                    "body": message.body,
                    "status": message.status,
                    "attachments": [a.filename for a in message.attachments.all()],
                }
                for message in conversation.messages.all()
            ],
            "comments": [
                {
                    "created_at": c.created_at,
                    "author": str(c.author) if c.author else None,
                    "body": c.body,
                }
                for c in conversation.comments.all()
            ],
        }
        for conversation in conversations
    ]
