"""SMS and WhatsApp through Twilio's Messages API (SMS_BACKEND=twilio).

The account SID and auth token come from the environment. `TWILIO_API_BASE_URL` points the
client somewhere else than https://api.twilio.com (the tests' fake Twilio API). Every message
asks for status callbacks on our webhook, carrying our message id, so a callback can settle a
message whose send ended `unknown` as well as one whose SID we stored.
"""

from functools import cache
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.urls import reverse
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from inbox.channels import (
    PermanentFailure,
    SendResult,
    TransientFailure,
    UnknownOutcome,
    sender_of,
)
from inbox.channels.twilio.reply_media import media_link
from inbox.models import Channel, Message

TIMEOUT_SECONDS = 15


@cache
def client() -> Client:
    twilio = Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=TwilioHttpClient(timeout=TIMEOUT_SECONDS),
    )
    if settings.TWILIO_API_BASE_URL:
        twilio.api.base_url = settings.TWILIO_API_BASE_URL.rstrip("/")
    return twilio


def address(channel: str, number: str) -> str:
    return f"whatsapp:{number}" if channel == Channel.WHATSAPP else number


def send_attempt(message: Message) -> str:
    """Names one send of a message (its claim time), so a late callback about an earlier
    send — before an agent's retry — cannot settle the retried one."""
    return str(int(message.attempted_at.timestamp() * 1_000_000)) if message.attempted_at else ""


def status_callback_url(message: Message) -> str:
    path = reverse("webhooks:twilio_status")
    query = urlencode({"message": message.pk, "send": send_attempt(message)})
    return f"{settings.PUBLIC_BASE_URL}{path}?{query}"


def send(message: Message) -> SendResult:
    """A conversation's message, its attachments as MediaUrls (an MMS, or WhatsApp media):
    signed links to Switchboard that Twilio fetches (inbox.channels.twilio.reply_media)."""
    conversation = message.conversation
    sender = sender_of(message)
    return send_text(
        conversation.channel,
        to=conversation.address,
        from_=sender.address,
        body=message.body,
        status_callback=status_callback_url(message),
        media_urls=[media_link(a) for a in message.attachments.exclude(file="").order_by("pk")],
    )


def send_text(
    channel: str,
    *,
    to: str,
    from_: str,
    body: str,
    status_callback: str,
    media_urls: list[str] | None = None,
) -> SendResult:
    """One SMS or WhatsApp message through Twilio — a conversation's message or a campaign's
    (campaigns.senders) — with trouble sorted as delivery expects (inbox.channels)."""
    media = {"media_url": media_urls} if media_urls else {}
    try:
        sent = client().messages.create(
            to=address(channel, to),
            from_=address(channel, from_),
            body=body,
            status_callback=status_callback,
            **media,
        )
    except TwilioRestException as exc:
        reason = f"Twilio {exc.status}: {exc.msg}"
        code = str(exc.code or exc.status)
        if exc.status == 429 or exc.status >= 500:
            raise TransientFailure(reason, code) from exc
        raise PermanentFailure(reason, code) from exc
    except requests.ConnectionError as exc:
        if _never_connected(exc):
            raise TransientFailure(f"Twilio unreachable: {exc}") from exc
        raise UnknownOutcome(f"Connection to Twilio lost while sending: {exc}") from exc
    except requests.Timeout as exc:
        raise UnknownOutcome(f"Twilio did not answer in time: {exc}") from exc
    return SendResult(provider="twilio", provider_message_id=str(sent.sid))


def _never_connected(exc: requests.ConnectionError) -> bool:
    """Refused or timed out while connecting: the request cannot have reached Twilio."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause = exc.args[0] if exc.args else None
    reason = getattr(cause, "reason", cause)
    return isinstance(reason, NewConnectionError | ConnectTimeoutError | ConnectionRefusedError)
