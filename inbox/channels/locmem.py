"""The test channel for SMS and WhatsApp (SMS_BACKEND=locmem): keeps what it sends in
`outbox`, and raises the errors queued in `failures` first, one per send."""

import uuid
from dataclasses import dataclass

from inbox.channels import DeliveryError, SendResult
from inbox.models import Message


@dataclass(frozen=True)
class Sent:
    message_id: int
    channel: str
    to: str
    from_: str
    body: str
    sid: str
    attachments: tuple[str, ...] = ()  # the filenames of the message's attachments


outbox: list[Sent] = []
failures: list[DeliveryError] = []


def reset() -> None:
    outbox.clear()
    failures.clear()


def send(message: Message) -> SendResult:
    if failures:
        raise failures.pop(0)
    conversation = message.conversation
    sender = conversation.inbox_channel.address if conversation.inbox_channel else ""
    sid = f"SM{uuid.uuid4().hex}"
    names = tuple(message.attachments.order_by("pk").values_list("filename", flat=True))
    outbox.append(
        Sent(
            message.pk, conversation.channel, conversation.address, sender, message.body, sid, names
        )
    )
    return SendResult(provider="twilio", provider_message_id=sid)


def send_text(channel: str, *, to: str, from_: str, body: str, status_callback: str) -> SendResult:
    """A campaign's message (campaigns.senders): kept in `outbox` with message_id 0."""
    if failures:
        raise failures.pop(0)
    sid = f"SM{uuid.uuid4().hex}"
    outbox.append(Sent(0, channel, to, from_, body, sid))
    return SendResult(provider="twilio", provider_message_id=sid)
