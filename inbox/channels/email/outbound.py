"""E-mail out through Django's configured `EMAIL_BACKEND`: SMTP by default, or any
django-anymail backend (Postmark, Mailgun, …) by setting.

A reply is a plain-text e-mail from the inbox's address, with the inbox name as display
name. It carries a `Message-ID` derived from the message's id and an HMAC, so a resend after
an unknown outcome carries the same id (the recipient's mail system can tell it is the same
e-mail), and `In-Reply-To`/`References` so the customer's client threads it. The
`Reply-To` address carries a signed token naming the conversation (`support+c12-…@…`), so
the customer's answer finds its conversation even when their client or the ESP drops the
threading headers (inbox.channels.email.inbound reads it back with `conversation_for_token`).

Trouble is sorted as delivery expects (inbox.channels): nothing could be handed over
(connection refused, 4xx, ESP 429/5xx) is transient; a 5xx or a refused recipient is
permanent; a connection lost while the message was being handed over is an unknown outcome.
"""

import hashlib
import logging
import re
import smtplib
from email.headerregistry import Address

import requests
from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from inbox.channels import (
    DeliveryError,
    PermanentFailure,
    SendResult,
    TransientFailure,
    UnknownOutcome,
    sender_of,
)
from inbox.models import Conversation, Direction, InboxChannel, Message

logger = logging.getLogger("switchboard.email")

PROVIDER = "email"
# Message.provider_message_id holds 200 characters; longer Message-IDs are stored hashed,
# on the inbound and the lookup side alike.
MAX_STORED_ID = 200
# How many earlier Message-IDs of the conversation go into `References`.
MAX_REFERENCES = 10
MESSAGE_ID_SALT = "switchboard.email.message-id"
REPLY_ADDRESS_SALT = "switchboard.email.reply-token"
REPLY_TOKEN = re.compile(r"^c(?P<pk>\d{1,18})-(?P<mac>[0-9a-f]{10})$")
REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw)\s*:", re.IGNORECASE)
ANGLE_IDS = re.compile(r"<([^<>\s]+)>")
FALLBACK_DOMAIN = "switchboard.invalid"


# --- Message-IDs and reply tokens ------------------------------------------------------------


def stored_message_id(message_id: str) -> str:
    """A Message-ID as it is stored in `provider_message_id`: without angle brackets, and
    as `sha256:<hex>` when it is too long for the column."""
    value = message_id.strip().strip("<>").strip()
    if len(value) > MAX_STORED_ID:
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return value


def parse_message_ids(header: str | None) -> list[str]:
    """The Message-IDs of an `In-Reply-To` or `References` header, in order. Broken
    clients leave out the angle brackets; then the header is split on white space."""
    if not header:
        return []
    text = str(header)
    found = ANGLE_IDS.findall(text) or text.replace(",", " ").split()
    return [value for value in found if value]


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower() or FALLBACK_DOMAIN


def message_id_for(message: Message, sender_address: str) -> str:
    """Our Message-ID of an outbound message, without angle brackets. The same for every
    try, and not guessable from the message id alone."""
    mac = salted_hmac(MESSAGE_ID_SALT, str(message.pk), algorithm="sha256").hexdigest()[:20]
    return f"sb.{message.pk}.{mac}@{_domain(sender_address)}"


def reply_token(conversation_id: int) -> str:
    mac = salted_hmac(REPLY_ADDRESS_SALT, str(conversation_id), algorithm="sha256").hexdigest()
    return f"c{conversation_id}-{mac[:10]}"


def conversation_for_token(token: str) -> int | None:
    """The conversation id a reply token names, or None when it is not one of ours."""
    match = REPLY_TOKEN.match(token.strip().lower())
    if match is None:
        return None
    conversation_id = int(match["pk"])
    if not constant_time_compare(reply_token(conversation_id), match.group(0)):
        return None
    return conversation_id


def reply_address(inbox_address: str, conversation_id: int) -> str:
    """`support@example.com` → `support+c12-0123456789@example.com`."""
    local, _at, domain = inbox_address.rpartition("@")
    return f"{local}+{reply_token(conversation_id)}@{domain}"


def split_tagged(address: str) -> tuple[str, str]:
    """`support+tag@example.com` → (`support@example.com`, `tag`); untagged → (address, "")."""
    local, at, domain = address.strip().lower().rpartition("@")
    if not at or "+" not in local:
        return address.strip().lower(), ""
    base, _plus, tag = local.rpartition("+")
    return f"{base}@{domain}", tag


# --- Composing --------------------------------------------------------------------------------


def subject_for(conversation: Conversation) -> str:
    subject = " ".join(conversation.subject.split())
    if not subject:
        return _("Your message to %(inbox)s") % {"inbox": conversation.inbox.name}
    return subject if REPLY_PREFIX.match(subject) else f"Re: {subject}"


def _thread_ids(message: Message) -> tuple[str, list[str]]:
    """(In-Reply-To, References) of a reply: the latest e-mail the customer sent, and the
    conversation's first and last Message-IDs, ours included (RFC 5322 §3.6.4 lets a long
    list be shortened so). Hashed or made-up ids (no "@") are not Message-IDs: left out."""
    earlier = (
        Message.objects.filter(
            conversation_id=message.conversation_id,
            provider=PROVIDER,
            provider_message_id__contains="@",
        )
        .exclude(pk=message.pk)
        .order_by("-created_at", "-id")
    )
    in_reply_to = (
        earlier.filter(direction=Direction.INBOUND)
        .values_list("provider_message_id", flat=True)
        .first()
    )
    ids = earlier.values_list("provider_message_id", flat=True)
    references = [ref for ref in reversed(ids[: MAX_REFERENCES - 1]) if ref]
    first = ids.order_by("created_at", "id").first()
    if first and first not in references:
        references.insert(0, first)
    return in_reply_to or "", references


def build_email(
    message: Message, sender: InboxChannel, connection: BaseEmailBackend | None = None
) -> EmailMultiAlternatives:
    conversation = message.conversation
    in_reply_to, references = _thread_ids(message)
    headers = {"Message-ID": f"<{message_id_for(message, sender.address)}>"}
    if in_reply_to:
        headers["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        headers["References"] = " ".join(f"<{ref}>" for ref in references)
    from_address = Address(display_name=conversation.inbox.name, addr_spec=sender.address)
    email = EmailMultiAlternatives(
        subject=subject_for(conversation),
        body=message.body,
        from_email=str(from_address),
        to=[conversation.address],
        reply_to=[reply_address(sender.address, conversation.pk)],
        headers=headers,
        connection=connection,
    )
    # A reply's files (checked by content when attached, inbox.reply_files) go as real
    # attachments, under the names and types they were stored with.
    for attachment in message.attachments.exclude(file="").order_by("pk"):
        with attachment.file.open("rb") as file:
            email.attach(attachment.filename, file.read(), attachment.content_type)
    return email


# --- Sending ----------------------------------------------------------------------------------


def send(message: Message) -> SendResult:
    sender = sender_of(message)
    connection = _connection()
    try:
        email = build_email(message, sender, connection)
    except ValueError as exc:  # an address or name that cannot go into a header
        raise PermanentFailure(f"The e-mail could not be composed: {exc}", "invalid") from exc
    except OSError as exc:  # the storage did not give an attachment back (nothing was sent)
        raise TransientFailure(f"An attachment could not be read: {exc}", "storage") from exc
    hand_over(email, connection)
    return SendResult(
        provider=PROVIDER, provider_message_id=message_id_for(message, sender.address)
    )


def _connection() -> BaseEmailBackend:
    try:
        return get_connection()
    except ImproperlyConfigured as exc:
        raise PermanentFailure(f"E-mail is not configured: {exc}", code="config") from exc


def hand_over(email: EmailMultiAlternatives, connection: BaseEmailBackend | None = None) -> None:
    """Hand one composed e-mail — a reply, or a campaign's (campaigns.senders) — to the
    configured backend, with trouble sorted as delivery expects (inbox.channels)."""
    connection = connection or _connection()
    email.connection = connection
    _open(connection)
    try:
        sent = connection.send_messages([email])
    except (AnymailError, smtplib.SMTPException, OSError) as exc:
        raise _sending_failure(exc) from exc
    except ValueError as exc:  # Django refuses an address while writing the headers
        raise PermanentFailure(f"The e-mail could not be composed: {exc}", "invalid") from exc
    finally:
        _close(connection)
    if not sent:
        raise PermanentFailure("The e-mail backend sent nothing.", code="not_sent")


def _open(connection: BaseEmailBackend) -> None:
    """Connect before anything is handed over: a failure here cannot have sent anything."""
    try:
        connection.open()
    except smtplib.SMTPConnectError as exc:
        raise TransientFailure(_smtp_reason(exc), str(exc.smtp_code)) from exc
    except smtplib.SMTPResponseException as exc:  # HELO, STARTTLS or login refused
        raise _by_smtp_code(exc.smtp_code, _smtp_reason(exc), sent_maybe=False) from exc
    except (AnymailError, smtplib.SMTPException, OSError) as exc:
        raise TransientFailure(f"Mail server unreachable: {exc}") from exc


def _close(connection: BaseEmailBackend) -> None:
    """The message is handed over (or not) by now; a failing goodbye changes nothing."""
    try:
        connection.close()
    except Exception:
        logger.warning("closing the e-mail connection failed", exc_info=True)


def _sending_failure(exc: Exception) -> DeliveryError:
    if isinstance(exc, AnymailRecipientsRefused):
        return PermanentFailure(f"Recipient refused: {exc}", str(exc.status_code or "refused"))
    if isinstance(exc, AnymailAPIError):
        return _api_failure(exc)
    if isinstance(exc, AnymailError):
        return PermanentFailure(f"The e-mail service refused the message: {exc}", "anymail")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()] or [550]
        reasons = "; ".join(
            f"{address}: {code} {_text_of(text)}"
            for address, (code, text) in exc.recipients.items()
        )
        if all(400 <= code < 500 for code in codes):
            return TransientFailure(f"Recipient deferred: {reasons}", str(codes[0]))
        code = next(code for code in codes if not 400 <= code < 500)
        return PermanentFailure(f"Recipient refused: {reasons}", str(code))
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_smtp_code(exc.smtp_code, _smtp_reason(exc), sent_maybe=True)
    # SMTPServerDisconnected, a timeout or a reset while the message was going out.
    return UnknownOutcome(f"Connection to the mail server lost while sending: {exc}")


def _by_smtp_code(code: int, reason: str, *, sent_maybe: bool) -> DeliveryError:
    if 400 <= code < 500:
        return TransientFailure(reason, str(code))
    if 500 <= code < 600:
        return PermanentFailure(reason, str(code))
    if sent_maybe:
        return UnknownOutcome(reason, str(code))
    return TransientFailure(reason, str(code))


def _api_failure(exc: AnymailAPIError) -> DeliveryError:
    status = exc.status_code
    if status is None:
        # Anymail wraps the `requests` error in a class that is also of its type.
        if isinstance(exc, requests.ConnectionError) and _never_connected(exc):
            return TransientFailure(f"E-mail service unreachable: {exc}")
        if isinstance(exc, requests.RequestException):
            return UnknownOutcome(f"Connection to the e-mail service lost while sending: {exc}")
        return PermanentFailure(f"The e-mail service refused the message: {exc}", "anymail")
    if status == 429 or status >= 500:
        return TransientFailure(f"E-mail service {status}: {exc}", str(status))
    return PermanentFailure(f"E-mail service {status}: {exc}", str(status))


NEVER_CONNECTED = (
    requests.ConnectTimeout,
    NewConnectionError,
    ConnectTimeoutError,
    ConnectionRefusedError,
)


def _never_connected(exc: requests.ConnectionError) -> bool:
    """Refused or timed out while connecting: the request cannot have reached the service.
    The reason sits a few levels down (anymail → requests → urllib3)."""
    cause: object = exc
    for _level in range(5):
        if isinstance(
            cause,
            requests.ConnectTimeout
            | NewConnectionError
            | ConnectTimeoutError
            | ConnectionRefusedError,
        ):
            return True
        if not isinstance(cause, BaseException):
            return False
        cause = (
            getattr(cause, "reason", None)
            or cause.__cause__
            or (cause.args[0] if cause.args else None)
        )
    return False


def _smtp_reason(exc: smtplib.SMTPResponseException) -> str:
    return f"SMTP {exc.smtp_code}: {_text_of(exc.smtp_error)}"


def _text_of(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
