"""Inbound provider events: stored by the webhook as received, turned into messages here.

The Twilio webhook only verifies the signature, checks that the form names a message and a
sender, and stores the form once per MessageSid (`store_event`); `process` then routes it
through `inbox.actions.receive_message` in a task. So the webhook answers in a few
milliseconds whatever the routing costs, a burst waits in the table instead of in Twilio's
retries, and nothing is lost when the broker or a worker is down: the sweeper processes what is
left. Once processed, the raw form is cleared (the message holds what is needed), so no copy of
a customer's text outlives an erasure.
"""

import logging
import mimetypes
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts.identities import normalise_phone
from inbox.actions import IncomingFile, IncomingMessage, receive_message
from inbox.models import Channel, InboundEvent, InboxChannel

logger = logging.getLogger("switchboard.inbound")

TWILIO = "twilio"
MAX_MEDIA = 10  # Twilio sends at most 10 media per message
SWEEP_GRACE = timedelta(minutes=2)
# The fields of Twilio's inbound form that routing needs; the rest is not kept.
TWILIO_FIELDS = ("MessageSid", "From", "To", "Body", "NumMedia")


def store_event(provider: str, event_id: str, payload: dict[str, Any]) -> InboundEvent | None:
    """Store the event once; None when this provider id was stored before (a replay)."""
    try:
        with transaction.atomic():
            return InboundEvent.objects.create(
                provider=provider, event_id=event_id[:200], payload=payload
            )
    except IntegrityError:
        return None


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


def process(event_id: int) -> list[int]:
    """Route a stored event into its inbox; returns the attachments waiting to be fetched.
    Safe to run twice: a processed event is skipped, and receive_message stores a provider
    id once."""
    event = InboundEvent.objects.filter(pk=event_id, processed_at__isnull=True).first()
    if event is None:
        return []
    payload = event.payload
    channel = twilio_channel(payload.get("From", ""))
    ours = _our_channel(channel, payload.get("To", ""))
    if ours is None:
        # Kept unprocessed-but-settled with its form, so nothing is lost: it can be replayed
        # once the number is set up in Settings → Inboxes → Channels.
        logger.warning(
            "Twilio message %s to %r: no inbox owns this number", event.event_id, payload.get("To")
        )
        InboundEvent.objects.filter(pk=event.pk).update(
            processed_at=timezone.now(), error=f"No inbox owns {channel} {payload.get('To')}"
        )
        return []
    try:
        received = receive_message(
            IncomingMessage(
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
        )
    except ValidationError as invalid:
        InboundEvent.objects.filter(pk=event.pk).update(
            processed_at=timezone.now(), error=" ".join(invalid.messages)[:300]
        )
        return []
    InboundEvent.objects.filter(pk=event.pk).update(
        processed_at=timezone.now(), message=received.message, payload={}
    )
    if not received.created or not media_count(payload.get("NumMedia", "")):
        return []
    return list(
        received.message.attachments.filter(file="")
        .exclude(source_url="")
        .values_list("pk", flat=True)
    )


def overdue(limit: int = 500) -> list[int]:
    """Events a lost task left unprocessed (the broker was down, a worker died)."""
    cutoff = timezone.now() - SWEEP_GRACE
    return list(
        InboundEvent.objects.filter(processed_at__isnull=True, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


def _our_channel(channel: str, to: str) -> InboxChannel | None:
    try:
        number = normalise_phone(to)
    except ValidationError:
        return None
    return (
        InboxChannel.objects.select_related("inbox")
        .filter(kind=channel, address=number)
        .order_by()
        .first()
    )


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
