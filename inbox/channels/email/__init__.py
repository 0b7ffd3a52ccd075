"""E-mail, everything about it in this folder.

- `outbound`: replies through Django's `EMAIL_BACKEND` (SMTP or an anymail backend), with
  Message-IDs and a signed reply address that threading reads back;
- `webhooks` and `urls`: django-anymail's inbound webhooks under /anymail/<esp>/;
- `inbound`: finding the inbox and the conversation an inbound e-mail belongs to.
"""

from inbox.channels.email.outbound import send

__all__ = ["send"]
