"""The development channel for SMS and WhatsApp: "sends" by logging, so replies flow end to
end without a provider (SMS_BACKEND=console, the default)."""

import logging
import uuid

from inbox.channels import SendResult
from inbox.models import Message

logger = logging.getLogger("switchboard.console_channel")


def send(message: Message) -> SendResult:
    conversation = message.conversation
    logger.info(
        "console %s to %s: %s", conversation.channel, conversation.address, message.body[:200]
    )
    return SendResult(provider="console", provider_message_id=f"console-{uuid.uuid4()}")


def send_text(channel: str, *, to: str, from_: str, body: str, status_callback: str) -> SendResult:
    """A campaign's message (campaigns.senders), logged."""
    logger.info("console %s to %s: %s", channel, to, body[:200])
    return SendResult(provider="console", provider_message_id=f"console-{uuid.uuid4()}")
