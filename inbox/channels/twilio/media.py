"""Provider media (MMS pictures, WhatsApp images and documents) fetched into attachments.

Twilio's inbound webhook only names each medium by URL (`MediaUrlN`). Downloading it in the
webhook would make Twilio wait, so the message is stored with empty attachments and
`inbox.tasks.fetch_attachment` fetches each one after commit; the sweeper enqueues again what
is still pending a few minutes later (the broker was down, a worker died).

Fetching is idempotent: an attachment that already has its file, or a permanent error, is left
alone, and the file is written under a row lock so two runs at once store it once. Only URLs
on the configured Twilio API host are fetched, with the account's credentials — a forged or
misconfigured URL must not make the server fetch internal addresses (SSRF) or hand the
credentials to someone else. Twilio answers with a redirect to its media store; requests drops
the credentials when a redirect leaves the host.
"""

import logging
from datetime import timedelta
from enum import StrEnum
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from inbox.models import Attachment, Conversation

logger = logging.getLogger("switchboard.media")

TWILIO_API = "https://api.twilio.com"
MAX_BYTES = 20 * 1024 * 1024  # Twilio's own limit for a WhatsApp document is 16 MB
CONNECT_TIMEOUT, READ_TIMEOUT = 5, 30
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
# The sweeper enqueues a pending attachment again once its message is this old, and a fetch
# that still fails for a transient reason after GIVE_UP gives up for good.
SWEEP_GRACE = timedelta(minutes=3)
GIVE_UP = timedelta(days=1)


class Fetched(StrEnum):
    STORED = "stored"
    SKIPPED = "skipped"  # nothing to do: stored already, failed for good, or gone
    FAILED = "failed"  # a permanent error, now in Attachment.error
    RETRY = "retry"  # a transient error; the sweeper tries again


class MediaError(Exception):
    """The medium cannot be fetched, now or later."""


class TransientMediaError(Exception):
    """The medium could not be fetched this time (timeout, 5xx, 429)."""


def fetch(attachment_id: int) -> Fetched:
    """Download one pending attachment's bytes into its file."""
    attachment = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    if attachment is None or attachment.file or attachment.error or not attachment.source_url:
        return Fetched.SKIPPED
    if not is_allowed(attachment.source_url):
        _fail(attachment, "Not fetched: the media URL is not on the Twilio API host.")
        return Fetched.FAILED
    try:
        content = download(attachment.source_url)
    except MediaError as exc:
        _fail(attachment, str(exc))
        return Fetched.FAILED
    except TransientMediaError as exc:
        if timezone.now() - attachment.message.created_at > GIVE_UP:
            _fail(attachment, f"Gave up: {exc}")
            return Fetched.FAILED
        logger.warning("attachment %s: %s; the sweeper tries again", attachment_id, exc)
        return Fetched.RETRY
    return Fetched.STORED if store(attachment_id, content) else Fetched.SKIPPED


def allowed_origin() -> tuple[str, str, int]:
    """(scheme, host, port) of the Twilio API the client talks to: media come from there."""
    parts = urlsplit(settings.TWILIO_API_BASE_URL or TWILIO_API)
    return _origin(parts.scheme, parts.hostname, parts.port)


def is_allowed(url: str) -> bool:
    try:
        parts = urlsplit(url)
        origin = _origin(parts.scheme, parts.hostname, parts.port)
    except ValueError:  # a port that is not a number
        return False
    return origin == allowed_origin() and not parts.username and not parts.password


def _origin(scheme: str, host: str | None, port: int | None) -> tuple[str, str, int]:
    scheme = scheme.lower()
    return scheme, (host or "").lower(), port or (443 if scheme == "https" else 80)


def download(url: str) -> bytes:
    """The medium's bytes, at most MAX_BYTES, fetched with the account's credentials."""
    with requests.Session() as session:
        session.max_redirects = MAX_REDIRECTS
        session.auth = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        try:
            with session.get(
                url, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), stream=True, allow_redirects=True
            ) as response:
                _check_status(response)
                return _read_capped(response)
        except requests.TooManyRedirects as exc:
            raise MediaError("Not fetched: too many redirects.") from exc
        except requests.RequestException as exc:
            raise TransientMediaError(f"Could not fetch the media: {exc}") from exc


def _check_status(response: requests.Response) -> None:
    status = response.status_code
    if status == 429 or status >= 500:
        raise TransientMediaError(f"The media server answered HTTP {status}.")
    if status >= 300:
        raise MediaError(f"Not fetched: the media server answered HTTP {status}.")


def _read_capped(response: requests.Response) -> bytes:
    too_large = MediaError(f"Not fetched: larger than {MAX_BYTES // (1024 * 1024)} MB.")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise too_large
    chunks, size = [], 0
    for chunk in response.iter_content(CHUNK):
        size += len(chunk)
        if size > MAX_BYTES:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def store(attachment_id: int, content: bytes) -> bool:
    """Write the bytes once, under a row lock: a concurrent run that got there first wins and
    this one stores nothing. Bumps the conversation so the open thread redraws."""
    with transaction.atomic():
        attachment = (
            Attachment.objects.select_for_update()
            .select_related("message")
            .filter(pk=attachment_id)
            .first()
        )
        if attachment is None or attachment.file:
            return False
        attachment.size = len(content)
        attachment.error = ""
        attachment.file.save(attachment.filename, ContentFile(content), save=False)
        attachment.save(update_fields=["file", "size", "error"])
        _touch(attachment.message.conversation_id)
    return True


def _fail(attachment: Attachment, reason: str) -> None:
    updated = Attachment.objects.filter(pk=attachment.pk, file="").update(error=reason[:300])
    if updated:
        _touch(attachment.message.conversation_id)
    logger.warning("attachment %s not fetched: %s", attachment.pk, reason)


def _touch(conversation_id: int) -> None:
    Conversation.objects.filter(pk=conversation_id).touch()


def overdue(limit: int = 200) -> list[int]:
    """Attachments still pending a while after their message arrived: their task was lost or
    failed for a transient reason. Once GIVE_UP has passed, the next fetch settles them."""
    now = timezone.now()
    return list(
        Attachment.objects.filter(file="", error="")
        .exclude(source_url="")
        .filter(message__created_at__lt=now - SWEEP_GRACE)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
