"""Inbound e-mail: a stored e-mail routed into its inbox (called by inbox.inbound.process).

The webhook (inbox.channels.email.webhooks) stores each e-mail anymail parsed as an
`InboundEvent` (`stored_payload`: the sender, the envelope recipient and the whole e-mail as
MIME); `route` reads it back and finds the inbox by the address it was sent to (envelope
recipient, To, Cc, Bcc, Delivered-To; a `+tag` in the local part is ignored), and the
conversation it continues:

1. our signed reply token in that address (`support+c12-…@…`, see inbox.channels.email.outbound);
2. otherwise a Message-ID of `In-Reply-To`/`References` that we stored in that inbox (an
   e-mail we sent, or one the customer sent before);
3. otherwise a new conversation — a fresh e-mail is a new case, even from a known sender.

An e-mail to no address of ours, or one whose text cannot be read, is kept unrouted with the
reason (inbox.inbound.process). NUL characters, which PostgreSQL cannot store, are dropped from
everything read from the e-mail (lib.text.without_nul). The same Message-ID twice is stored once
(receive_message).
"""

import base64
import hashlib
import html as html_lib
import logging
import mimetypes
import re
from collections.abc import Iterator
from email.utils import getaddresses

import nh3
from anymail.exceptions import AnymailError
from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent

from inbox.actions import IncomingFile, IncomingMessage
from inbox.channels import NotRouted
from inbox.channels.email.outbound import (
    PROVIDER,
    conversation_for_token,
    parse_message_ids,
    split_tagged,
    stored_message_id,
)
from inbox.models import Channel, Conversation, InboundEvent, Inbox, InboxChannel, Message
from lib.text import without_nul

logger = logging.getLogger("switchboard.email")

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
RECIPIENT_HEADERS = ("To", "Cc", "Bcc", "Delivered-To", "X-Original-To")
BODY_TYPES = {"text/plain", "text/html"}
BLOCK_END = re.compile(r"<br\s*/?>|</(p|div|li|tr|h[1-6]|blockquote|pre|table)\s*>", re.I)


def route(event: InboundEvent) -> IncomingMessage:
    """The e-mail a stored event holds, in the inbox of the address it was sent to;
    NotRouted when no inbox owns one of its recipients or its text cannot be read."""
    email = stored_email(event.payload)
    found = find_recipient(email)
    if found is None:
        addresses = ", ".join(recipients(email)) or "no recipient"
        logger.warning(
            "inbound e-mail %s via %s to no address of ours (%s)",
            event.event_id,
            event.provider,
            addresses,
        )
        raise NotRouted(f"No inbox owns email {addresses}")
    channel, token = found
    try:
        text, html = without_nul(bodies(email))
    except LookupError as unknown:  # a charset Python does not know
        raise NotRouted(f"The e-mail could not be read: {unknown}") from unknown
    thread = find_thread(channel.inbox, token, email)
    return IncomingMessage(
        inbox=channel.inbox,
        channel=Channel.EMAIL,
        address=event.payload["From"],
        body=text,
        html=html,
        subject=" ".join(without_nul(str(email.subject or "")).split()),
        provider=PROVIDER,
        provider_message_id=event.event_id,
        inbox_channel=channel,
        thread=thread,
        new_thread=thread is None,
        attachments=list(attachments(email)),
        received_at=event.received_at,
    )


# --- Stored as an inbound event -----------------------------------------------------------------


def stored_payload(email: AnymailInboundMessage, sender: str) -> dict[str, str]:
    """What routing needs, as JSON: the sender's normalised address (erasure finds unrouted
    e-mails by it, inbox.erasure), the envelope recipient (not part of the MIME) and the whole
    e-mail as MIME — as text when JSONB can hold it (UTF-8 without NUL), else in base64. It is
    about as large as the request anymail accepted. Files are written out in base64 first:
    anymail builds Postmark's from raw bytes, and MIME written without an encoding does not
    keep their line ends (writing `email` changes it)."""
    for part in _file_parts(email):
        if part.get_content_maintype() not in ("message", "multipart"):
            _in_base64(part)
    raw = email.as_bytes()
    payload = {"From": sender, "To": without_nul(email.envelope_recipient or "")}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = "\x00"
    if "\x00" in text:
        payload["mime_base64"] = base64.b64encode(raw).decode("ascii")
    else:
        payload["mime"] = text
    return payload


def stored_email(payload: dict[str, str]) -> AnymailInboundMessage:
    if "mime" in payload:
        raw = payload["mime"].encode()
    else:
        raw = base64.b64decode(payload["mime_base64"])
    email = AnymailInboundMessage.parse_raw_mime_bytes(raw)
    email.envelope_recipient = payload.get("To") or None
    return email


def _in_base64(part: AnymailInboundMessage) -> None:
    if str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "base64":
        return
    content = part.get_payload(decode=True) or b""
    del part["Content-Transfer-Encoding"]
    part.set_payload(base64.encodebytes(content).decode("ascii"))
    part["Content-Transfer-Encoding"] = "base64"


# --- Recipient and sender ---------------------------------------------------------------------


def recipients(email: AnymailInboundMessage) -> list[str]:
    """Every address the e-mail was delivered to, lower-case, envelope first."""
    addresses = [address for _name, address in getaddresses([email.envelope_recipient or ""])]
    for header in RECIPIENT_HEADERS:
        for value in email.get_all(header) or []:
            # Address headers come parsed (display names with commas included); others,
            # like Delivered-To, are plain text.
            parsed = getattr(value, "addresses", None)
            if parsed:
                addresses.extend(address.addr_spec for address in parsed)
            else:
                addresses.extend(address for _name, address in getaddresses([str(value)]))
    found: list[str] = []
    for address in addresses:
        address = without_nul(address).strip().lower()
        if "@" in address and address not in found:
            found.append(address)
    return found


def find_recipient(email: AnymailInboundMessage) -> tuple[InboxChannel, str] | None:
    """Our e-mail channel the message was sent to, and the `+tag` of that address."""
    candidates: list[tuple[str, str]] = []
    for address in recipients(email):
        candidates.append((address, ""))
        base, tag = split_tagged(address)
        if tag:
            candidates.append((base, tag))
    channels = {
        channel.address: channel
        for channel in InboxChannel.objects.select_related("inbox").filter(
            kind=Channel.EMAIL, address__in={address for address, _tag in candidates}
        )
    }
    for address, tag in candidates:
        if address in channels:
            return channels[address], tag
    return None


def sender_address(email: AnymailInboundMessage) -> str:
    """The From address; "" when it is missing or cannot be parsed."""
    try:
        sender = email.from_email
    except (AnymailError, ValueError):
        return ""
    if isinstance(sender, list):  # several From addresses: legal, and very rare
        sender = sender[0] if sender else None
    return without_nul(str(getattr(sender, "addr_spec", "") or "")).strip()


# --- Threading --------------------------------------------------------------------------------


def find_thread(inbox: Inbox, token: str, email: AnymailInboundMessage) -> Conversation | None:
    """The conversation this e-mail answers, in this inbox, or None for a new one."""
    email_conversations = Conversation.objects.filter(inbox=inbox, channel=Channel.EMAIL)
    conversation_id = conversation_for_token(token) if token else None
    if conversation_id is not None:
        conversation = email_conversations.filter(pk=conversation_id).first()
        if conversation is not None:
            return conversation
    wanted = [
        stored_message_id(value)
        for value in parse_message_ids(without_nul(email["In-Reply-To"]))
        + list(reversed(parse_message_ids(without_nul(email["References"]))))
    ]
    if not wanted:
        return None
    known = dict(
        Message.objects.filter(
            provider=PROVIDER,
            provider_message_id__in=wanted,
            conversation__inbox=inbox,
            conversation__channel=Channel.EMAIL,
        ).values_list("provider_message_id", "conversation_id")
    )
    for value in wanted:  # the direct parent first, then the nearest reference
        if value in known:
            return email_conversations.filter(pk=known[value]).first()
    return None


def message_id_of(email: AnymailInboundMessage, esp_name: str, event: AnymailInboundEvent) -> str:
    """The stored form of the Message-ID; without one, the provider's event id, or a hash
    of the whole message, so a redelivery is still recognised."""
    ids = parse_message_ids(without_nul(email["Message-ID"]))
    if ids:
        return stored_message_id(ids[0])
    if event.event_id:
        return stored_message_id(without_nul(f"{esp_name.lower()}:{event.event_id}"))
    try:
        raw = email.as_bytes()
    except (LookupError, ValueError, TypeError):
        raw = repr(
            (email["From"], email["Date"], email["Subject"], email.text, email.html)
        ).encode()
    return "sha256:" + hashlib.sha256(raw).hexdigest()


# --- Content ----------------------------------------------------------------------------------


def bodies(email: AnymailInboundMessage) -> tuple[str, str]:
    """(text, html): the text part, or text made from the HTML when there is none."""
    html = email.html or ""
    text = email.text or ""
    if not text.strip() and html:
        text = html_to_text(html)
    return text, html


def html_to_text(html: str) -> str:
    """Readable text from HTML for the thread and previews: line breaks at block ends,
    tags (and scripts and styles, with their content) dropped, entities decoded."""
    marked = BLOCK_END.sub(lambda match: match.group(0) + "\n", html)
    text = html_lib.unescape(nh3.clean(marked, tags=set()))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def attachments(email: AnymailInboundMessage) -> Iterator[IncomingFile]:
    """Attached files and inline images; oversized ones are left out (and logged)."""
    for number, part in enumerate(_file_parts(email), start=1):
        content_type = without_nul(part.get_content_type())
        try:
            content = part.get_content_bytes()
        except (ValueError, AssertionError, LookupError):
            logger.warning("inbound e-mail part %s (%s) unreadable; skipped", number, content_type)
            continue
        if content is None:
            continue
        name = without_nul(part.get_filename() or "") or _default_name(number, content_type)
        if len(content) > MAX_ATTACHMENT_BYTES:
            logger.warning(
                "inbound e-mail attachment %r of %s bytes is over the limit; skipped",
                name,
                len(content),
            )
            continue
        yield IncomingFile(filename=name, content_type=content_type, content=content)


def _file_parts(part: AnymailInboundMessage) -> Iterator[AnymailInboundMessage]:
    """Leaf parts that are files, without looking inside an attached e-mail. A text or
    HTML part without a file name is a body, not a file."""
    if part.get_content_maintype() == "multipart" and not part.is_attachment():
        for subpart in part.iter_parts():
            yield from _file_parts(subpart)
    elif part.is_attachment() or part.get_filename() or part.get_content_type() not in BODY_TYPES:
        yield part


def _default_name(number: int, content_type: str) -> str:
    extension = ".eml" if content_type == "message/rfc822" else None
    extension = extension or mimetypes.guess_extension(content_type) or ".bin"
    return f"part-{number}{extension}"
