"""The conversations section of a contact export: those the exporting user may see."""

from typing import Any

from django.db.models import Prefetch

from contacts.models import Contact
from inbox.models import Comment, Conversation, Message


def conversations_section(contact: Contact, user: Any) -> tuple[str, Any]:
    """The contact's conversations in `user`'s inboxes (all of them for holders of
    "view conversations of all inboxes"), with messages, attachments and comments, in a
    fixed number of queries."""
    conversations = (
        Conversation.objects.visible_to(user)
        .filter(contact=contact)
        .select_related("inbox")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=Message.objects.select_related("author").prefetch_related("attachments"),
            ),
            Prefetch("comments", queryset=Comment.objects.select_related("author")),
        )
        .order_by("created_at", "id")
    )
    return "conversations", [
        {
            "number": conversation.number,
            "inbox": conversation.inbox.name,
            "channel": conversation.channel,
            "address": conversation.address,
            "subject": conversation.subject,
            "status": conversation.status,
            "created_at": conversation.created_at,
            "messages": [
                {
                    "direction": message.direction,
                    "created_at": message.created_at,
                    "author": str(message.author) if message.author else None,
                    "body": message.body,
                    "html": message.html,
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
