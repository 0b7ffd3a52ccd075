"""Limits of the files agents attach to replies (config/settings.py reads them).

Each file is checked by its content (lib/filetypes.py) and against its channel's limits.
Twilio takes at most 5 MB of media per MMS or WhatsApp message, and one medium per WhatsApp
message; e-mail servers commonly refuse messages past 25 MB, so 10 MB a file and 20 MB in all
leave room for the encoding (base64 adds a third).
"""

from django.core.exceptions import ImproperlyConfigured

from config.env import env, read

MB = 1024 * 1024

_messaging_mb = read("REPLY_ATTACHMENT_MAX_MB_MESSAGING", env.int, 5)
_email_mb = read("REPLY_ATTACHMENT_MAX_MB_EMAIL", env.int, 10)
_count = read("REPLY_ATTACHMENT_MAX_COUNT", env.int, 5)
if min(_messaging_mb, _email_mb, _count) < 1:
    raise ImproperlyConfigured(
        "REPLY_ATTACHMENT_MAX_MB_MESSAGING, REPLY_ATTACHMENT_MAX_MB_EMAIL and "
        "REPLY_ATTACHMENT_MAX_COUNT must be 1 or more."
    )

# Per channel: how many files a reply may carry, how large each may be, and all together.
REPLY_ATTACHMENT_LIMITS = {
    "sms": {"count": _count, "each": _messaging_mb * MB, "total": _messaging_mb * MB},
    "whatsapp": {"count": 1, "each": _messaging_mb * MB, "total": _messaging_mb * MB},
    "email": {"count": _count, "each": _email_mb * MB, "total": 2 * _email_mb * MB},
    # The web chat (both ways: a visitor's file and an agent's): the messaging limits.
    "web": {"count": _count, "each": _messaging_mb * MB, "total": _messaging_mb * MB},
}
# How long the signed link Twilio fetches a reply's medium from stays valid (seconds); a
# retried send signs a new one.
REPLY_MEDIA_LINK_MAX_AGE = read("REPLY_MEDIA_LINK_MAX_AGE", env.int, 3600)
if REPLY_MEDIA_LINK_MAX_AGE < 60:
    raise ImproperlyConfigured(
        "REPLY_MEDIA_LINK_MAX_AGE must be 60 seconds or more: Twilio fetches the file a moment "
        "after the message is handed over."
    )
