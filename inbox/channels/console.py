"""The development channel for SMS and WhatsApp: "sends" by logging, so replies flow end to
end without a provider (SMS_BACKEND=console, the default).

The log shows the recipient masked and the text's length, never the text: logs are kept, and
an erased contact's number and what they were sent must not survive in them (lib.masking)."""

import logging
import uuid

from inbox.channels import SendResult
from inbox.models import Message
from lib.masking import mask_phone

logger = logging.getLogger("switchboard.console_channel")


def send(message: Message) -> SendResult:
    conversation = message.conversation
    return send_text(
        conversation.channel,
        to=conversation.address,
        from_="",
        body=message.body,
        status_callback="",
    )


def send_text(channel: str, *, to: str, from_: str, body: str, status_callback: str) -> SendResult:
    """A message (a conversation's, a campaign's, a test), logged without its text."""
    sid = f"console-{uuid.uuid4()}"
    logger.info("console %s to %s, %s chars (%s)", channel, mask_phone(to), len(body), sid)
    return SendResult(provider="console", provider_message_id=sid)
