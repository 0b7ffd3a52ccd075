"""Twilio's stored inbound forms routed into their inbox (called by inbox.inbound.process).

The webhook (inbox.channels.twilio.webhooks) keeps only the fields of the form routing needs
(`twilio_payload`); `route` finds the inbox owning the `To` number on the message's channel
(`whatsapp:` addresses are WhatsApp) and names each medium by its URL, for a task to fetch
(inbox.channels.twilio.media).
"""

import logging
import mimetypes
from typing import Any

from django.core.exceptions import ValidationError

from contacts.identities import normalise_phone
from inbox.actions import IncomingFile, IncomingMessage
from inbox.channels import NotRouted
from inbox.models import Channel, InboundEvent, InboxChannel

logger = logging.getLogger("switchboard.inbound")

TWILIO = "twilio"
MAX_MEDIA = 10  # Twilio sends at most 10 media per message
# The fields of Twilio's inbound form that routing needs; the rest is not kept.
TWILIO_FIELDS = ("MessageSid", "From", "To", "Body", "NumMedia")


def twilio_payload(form: Any) -> dict[str, str]:
    payload = {key: form.get(key, "") for key in TWILIO_FIELDS}
    for n in range(media_count(payload["NumMedia"])):
        payload[f"MediaUrl{n}"] = form.get(f"MediaUrl{n}", "")
        payload[f"MediaContentType{n}"] = form.get(f"MediaContentType{n}", "")
    return payload


def media_count(value: str) -> int:
    # ASCII digits only: "²".isdigit() is true, yet int("²") fails.
    return min(int(value), MAX_MEDIA) if value.isascii() and value.isdigit() else 0


def twilio_channel(sender: str) -> str:
    return Channel.WHATSAPP if sender.lower().startswith("whatsapp:") else Channel.SMS


def route(event: InboundEvent) -> IncomingMessage:
    """The message a stored form brings, in the inbox owning its number; NotRouted when no
    inbox owns it."""
    payload = event.payload
    channel = twilio_channel(payload.get("From", ""))
    ours = _our_channel(channel, payload.get("To", ""))
    if ours is None:
        logger.warning(
            "Twilio message %s to %r: no inbox owns this number", event.event_id, payload.get("To")
        )
        raise NotRouted(f"No inbox owns {channel} {payload.get('To')}")
    return IncomingMessage(
        inbox=ours.inbox,
        channel=channel,
        address=payload.get("From", ""),
        body=payload.get("Body", ""),
        provider=TWILIO,
        provider_message_id=event.event_id,
        inbox_channel=ours,
        attachments=_media(payload),
        received_at=event.received_at,
    )


def _our_channel(channel: str, to: str) -> InboxChannel | None:
    try:
        number = normalise_phone(to)
    except ValidationError:
        return None
    return InboxChannel.objects.owner_of(channel, number)


def _media(payload: dict[str, str]) -> list[IncomingFile]:
    files = []
    for n in range(media_count(payload.get("NumMedia", ""))):
        url = payload.get(f"MediaUrl{n}", "")
        if not url:
            continue
        content_type = payload.get(f"MediaContentType{n}", "") or "application/octet-stream"
        extension = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
        kind = content_type.split("/")[0] or "media"
        files.append(IncomingFile(f"{kind}-{n + 1}{extension}", content_type, source_url=url))
    return files
