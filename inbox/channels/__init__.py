"""Outbound providers, one small module each. Every provider exposes
`send(message) -> SendResult`; the delivery task picks one by the conversation's channel."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SendResult:
    provider: str
    provider_message_id: str
