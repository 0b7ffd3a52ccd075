"""Every write of the inbox, one module per topic (DESIGN.md §3, STYLE.md: actions change
the world). Each action is keyword-only, atomic, checks the actor's right itself, and leaves
an event row (`ConversationEvent.objects.record`, `InboxEvent.objects.record`); tasks are
enqueued only after commit.

- receiving: `receive_message`, the one way an inbound message is stored, for every channel
  (`receive_messages` for a routed batch of them);
- conversations: reply and retry, comments, status, read markers, and `queue_outbound`, the
  one path every outbound message takes;
- assignment: assign, unassign, routing mode's next conversation;
- linking: which contact a conversation belongs to;
- contact_send: a message started from the contact panel;
- settings: inboxes, members and roles, channels (Settings → Inboxes).
"""

from inbox.actions.conversations import (
    MAX_BODY,
    add_comment,
    mark_read,
    next_number,
    next_numbers,
    preview,
    queue_outbound,
    reply,
    retry,
    set_status,
)
from inbox.actions.receiving import (
    IncomingFile,
    IncomingMessage,
    Received,
    receive_message,
    receive_messages,
)

__all__ = [
    "MAX_BODY",
    "IncomingFile",
    "IncomingMessage",
    "Received",
    "add_comment",
    "mark_read",
    "next_number",
    "next_numbers",
    "preview",
    "queue_outbound",
    "receive_message",
    "receive_messages",
    "reply",
    "retry",
    "set_status",
]
