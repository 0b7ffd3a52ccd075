"""The files of a reply, for Twilio to fetch: MMS and WhatsApp media are sent as `MediaUrl`s,
which Twilio downloads itself, so Switchboard serves each attachment of an outbound message
under a signed link that expires (settings.REPLY_MEDIA_LINK_MAX_AGE).

The link names the attachment by id inside a signature (django.core.signing, with its own
salt), so it cannot be guessed or changed into another attachment's; a link that was changed
or has expired is a 404, like one that never existed. Only attachments of outbound messages
are served: a customer's own files never leave through here. Every send signs afresh, so a
retry hours later still carries a valid link.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.views.decorators.http import require_safe

from inbox.access import access_outbound_attachment
from inbox.models import Attachment

SALT = "inbox.twilio.reply-media"


def media_link(attachment: Attachment) -> str:
    """The absolute, signed URL Twilio fetches `attachment` from."""
    token = signing.dumps(attachment.pk, salt=SALT)
    return settings.PUBLIC_BASE_URL + reverse("webhooks:twilio_reply_media", args=[token])


def attachment_id_for(token: str) -> int | None:
    """The attachment id a link names, or None when it was changed or has expired."""
    try:
        value = signing.loads(token, salt=SALT, max_age=settings.REPLY_MEDIA_LINK_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    return value if isinstance(value, int) else None


@login_not_required
@require_safe
def reply_media(request: HttpRequest, token: str) -> FileResponse:
    attachment_id = attachment_id_for(token)
    if attachment_id is None:
        raise Http404
    attachment = access_outbound_attachment(attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
