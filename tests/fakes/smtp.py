"""A real SMTP server on 127.0.0.1 for the e-mail channel's tests (aiosmtpd in a thread).

It keeps what it accepts in `received`, and can be told to answer RCPT TO or DATA with an
error (`rcpt_reply = "550 …"`, `data_reply = "451 …"`) or to drop the connection once the
message is in (`drop_after_data`: the client never learns whether it was accepted).
The `smtp_server` fixture starts one and points Django's SMTP backend at it.
"""

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


@dataclass
class Handler:
    received: list[ReceivedMail] = field(default_factory=list)
    rcpt_reply: str = ""
    data_reply: str = ""
    drop_after_data: bool = False

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.received.append(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), raw, message)
        )
        if self.drop_after_data:
            server.transport.close()
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A port nothing listens on right now (the SMTP server, or a "not listening" test)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class FakeSMTPServer:
    def __init__(self) -> None:
        self.handler = Handler()
        self.running = False
        self.port = free_port()
        self.controller = Controller(
            self.handler, hostname=HOST, port=self.port, server_hostname="smtp.test"
        )

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received

    def start(self) -> None:
        self.controller.start()
        self.running = True

    def stop(self) -> None:
        """Stop listening (idempotent): the port then refuses connections."""
        if self.running:
            self.controller.stop()
            self.running = False


@pytest.fixture
def smtp_server(settings) -> Iterator[FakeSMTPServer]:
    """A running fake SMTP server, and Django's SMTP backend pointed at it."""
    server = FakeSMTPServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = HOST
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()
