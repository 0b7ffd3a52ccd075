"""The web chat channel (the webchat app owns the widget): "sending" an agent's reply means
keeping it for the visitor's widget, which fetches it on its next poll.

The reply row is already stored; `send` hands delivery a provider id, so the message goes
`sent` ("stored for the widget"). The webchat app moves it to `delivered` when the visitor's
widget fetched it and to `read` when the widget showed it with the chat open.

When the visitor is gone and left an e-mail address (the away message's field), the reply
goes by e-mail instead, from the inbox's e-mail address: the webchat app registers the rule
that says so (`register_email_fallback`), as the inbox cannot import it (DESIGN.md §3).
"""

from collections.abc import Callable

from inbox.channels import SendResult, email
from inbox.models import Channel, InboxChannel, Message

PROVIDER = "web"

# fallback(message) → the e-mail address the reply goes to instead, or "" to keep it for
# the widget.
EmailFallback = Callable[[Message], str]
EMAIL_FALLBACKS: list[EmailFallback] = []


def register_email_fallback(fallback: EmailFallback) -> None:
    """Ask `fallback(message)` before a web reply is kept for the widget. Call from
    AppConfig.ready(); registering twice changes nothing."""
    if fallback not in EMAIL_FALLBACKS:
        EMAIL_FALLBACKS.append(fallback)


def send(message: Message) -> SendResult:
    conversation = message.conversation
    for fallback in EMAIL_FALLBACKS:
        address = fallback(message)
        sender = address and InboxChannel.objects.sender_for(conversation.inbox_id, Channel.EMAIL)
        if address and sender:
            # In memory only: the conversation stays a web chat with the visitor's address;
            # the e-mail's signed Reply-To brings the customer's answer back to it.
            conversation.address = address
            conversation.inbox_channel = sender
            return email.send(message)
    return SendResult(provider=PROVIDER, provider_message_id=f"web-{message.pk}")
