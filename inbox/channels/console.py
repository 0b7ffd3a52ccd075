"""The development channel: "sends" by logging, so replies flow end to end without a
provider. The real SMS, WhatsApp and e-mail providers come with the channels issue."""

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
