"""The development e-mail backend (EMAIL_BACKEND's default with DEBUG): prints each e-mail's
headers to the console with every recipient masked, and never its body — development logs are
kept, and an erased contact's address and the text they were sent must not survive in them.

Links to this site (PUBLIC_BASE_URL: an invitation, a password reset) are printed, so those
flows can still be followed on a development machine; any other text stays out."""

import re
import threading
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend

from lib.masking import mask_recipient

_URL = re.compile(r"https?://[^\s<>\"']+")
_lock = threading.RLock()


def summary(message: EmailMessage) -> str:
    """What the console shows of one e-mail."""
    recipients = [*message.to, *message.cc, *message.bcc]
    body = message.body if isinstance(message.body, str) else ""
    own = [url for url in _URL.findall(body) if url.startswith(settings.PUBLIC_BASE_URL + "/")]
    lines = [
        f"E-mail from {message.from_email}",
        f"  to: {', '.join(mask_recipient(str(address)) for address in recipients) or '-'}",
        f"  subject: {len(message.subject)} characters",
        f"  body: {len(body)} characters, {len(message.attachments)} attachment(s)",
        *(f"  link: {url}" for url in own),
    ]
    return "\n".join(lines) + "\n"


class EmailBackend(DjangoConsoleBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if not email_messages:
            return 0
        sent = 0
        with _lock:
            stream_created = self.open()
            try:
                for message in email_messages:
                    self.stream.write(summary(message))
                    self.stream.write("-" * 79 + "\n")
                    self.stream.flush()
                    sent += 1
            except Exception:
                if not self.fail_silently:
                    raise
            finally:
                if stream_created:
                    self.close()
        return sent

    def write_message(self, message: Any) -> None:  # never the whole message
        self.stream.write(summary(message))
