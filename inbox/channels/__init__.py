"""Providers, one folder each (inbox/channels/<provider>/: sending, webhooks, inbound routing).

Outbound, every provider exposes `send(message) -> SendResult` and signals trouble with one of
three exceptions, which decide what delivery does next:

- `TransientFailure`: the provider did not take the message (HTTP 429 or 5xx, connection
  refused); delivery tries again later with exponential backoff.
- `PermanentFailure`: the provider refused it for good (invalid number, opted out); the
  message is marked failed with the reason, and an agent may retry it by hand.
- `UnknownOutcome`: the request may have reached the provider (the connection dropped after
  sending); the message is marked unknown and is never resent automatically.

`provider_for(channel)` picks the module from settings: SMS and WhatsApp by `SMS_BACKEND`
(console, locmem or twilio), e-mail always through Django's `EMAIL_BACKEND` (SMTP, anymail…),
the web chat by storing the reply for the visitor's widget (inbox.channels.web).

Inbound, a provider's webhook stores what it received as an `InboundEvent` (inbox.inbound), and
the provider's `route(event) -> IncomingMessage` says what arrived and in which inbox, or raises
`NotRouted` when no inbox owns the address it was sent to.
"""

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class SendResult:
    provider: str
    provider_message_id: str


class DeliveryError(Exception):
    def __init__(self, reason: str, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class TransientFailure(DeliveryError):
    """Not accepted this time; worth trying again."""


class PermanentFailure(DeliveryError):
    """Refused for good."""


class UnknownOutcome(DeliveryError):
    """The provider may or may not have accepted it."""


class NotRouted(Exception):
    """A stored inbound event no inbox takes (nobody owns its number or address)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# The failure code of a conversation whose inbox has no number or address on its channel.
NO_SENDER = "no_sender"


def sender_of(message: Any) -> Any:
    """Our number or address the message goes out from (delivery sets it on the
    conversation); a permanent failure when the inbox has none for the channel."""
    sender = message.conversation.inbox_channel
    if sender is None:
        raise PermanentFailure("", code=NO_SENDER)
    return sender


def provider_for(channel: str) -> ModuleType:
    """The module that sends on a channel: inbox.channels.<name>, a package (twilio, email)
    or a module (console, locmem), each exposing `send`."""
    if channel in ("email", "web"):
        return import_module(f"inbox.channels.{channel}")
    name = settings.SMS_BACKEND
    return import_module(f"inbox.channels.{name}")
