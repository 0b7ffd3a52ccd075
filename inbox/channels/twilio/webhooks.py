"""Twilio's webhooks: inbound SMS and WhatsApp messages, and delivery status callbacks.

Both verify `X-Twilio-Signature` with the account's auth token against PUBLIC_BASE_URL plus
the path and query Twilio requested: behind a TLS-terminating proxy the app sees another
scheme and host than Twilio signed, so the request's own URL cannot be trusted for this.
Both answer fast — verify, store, enqueue — and are safe to replay (DESIGN.md §6): a message
is stored once per MessageSid, and delivery status only moves forward. The signature is checked
over the form as posted; NUL characters are dropped after that (lib.text.without_nul).
"""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from contacts.identities import normalise_phone
from inbox import delivery
from inbox.channels import SendResult
from inbox.channels.twilio.inbound import TWILIO, twilio_payload
from inbox.channels.twilio.outbound import send_attempt
from inbox.inbound import store_and_enqueue
from inbox.models import DeliveryStatus, Direction, Message
from lib.text import without_nul

logger = logging.getLogger("switchboard.webhooks")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

# Twilio's MessageStatus → ours. `receiving`/`received` describe inbound messages and are
# ignored; `partially_delivered` (some segments arrived) is not yet `delivered`.
TWILIO_STATUSES = {
    "accepted": DeliveryStatus.QUEUED,
    "scheduled": DeliveryStatus.QUEUED,
    "queued": DeliveryStatus.QUEUED,
    "sending": DeliveryStatus.SENDING,
    "sent": DeliveryStatus.SENT,
    "partially_delivered": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}

# Twilio's wording of the codes agents meet most, for callbacks that carry no ErrorMessage
# (https://www.twilio.com/docs/api/errors). Stored with the message as the provider's text.
TWILIO_ERRORS = {
    "21211": "Invalid 'To' phone number",
    "21408": "Permission to send an SMS has not been enabled for the region",
    "21610": "The recipient has unsubscribed (replied STOP)",
    "21614": "'To' number is not a valid mobile number",
    "30003": "Unreachable destination handset",
    "30004": "Message blocked",
    "30005": "Unknown destination handset",
    "30006": "Landline or unreachable carrier",
    "30007": "Message filtered by the carrier",
    "30008": "Unknown error",
    "63016": "Outside the WhatsApp 24-hour window; a template is needed",
}


@login_not_required
@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """An SMS or WhatsApp message from a customer: verify, store, enqueue (DESIGN.md §6).

    The form is stored once per MessageSid (`inbox.inbound.store_and_enqueue`) and routed by a
    task into the inbox owning the `To` number on the message's channel (`whatsapp:` addresses
    are WhatsApp; inbox.channels.twilio.inbound), media fetched after it. A replay stores nothing
    and enqueues nothing. A missing MessageSid or a malformed `From` is refused with 400 and
    nothing is stored. A number no inbox owns is still answered 200: the event is kept (see
    inbox.inbound.process), an error status would only make Twilio try its fallback URL. The
    answer is empty TwiML, so Twilio sends no automatic reply.
    """
    if not _signed(request):
        return _forbidden()
    params = without_nul(request.POST.dict())
    sid = params.get("MessageSid") or params.get("SmsMessageSid") or ""
    if not sid:
        return _bad_request(_("MessageSid is missing."))
    try:
        normalise_phone(params.get("From", ""))
    except ValidationError as exc:
        return _bad_request(_("From is not a phone number: %(reason)s") % {"reason": _text(exc)})
    payload = twilio_payload(params)
    payload["MessageSid"] = sid
    store_and_enqueue(TWILIO, sid, payload)
    return _twiml()


@login_not_required
@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    """A delivery status callback for one of our outbound messages, applied forward only.

    The message is found by its MessageSid, or — when its send ended `unknown` and we never
    learned the SID — by our id in the `message` query parameter that
    inbox.channels.twilio.outbound put on the callback URL; the SID is then recorded. A callback
    for a message we do not know, or a status we do not track, changes nothing (204, logged).
    """
    if not _signed(request):
        return _forbidden()
    params = without_nul(request.POST.dict())
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    reported = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    status = TWILIO_STATUSES.get(reported)
    if status is None:
        logger.info("Twilio status %r for %s ignored", reported, sid)
        return HttpResponse(status=204)
    message, by_our_id = _outbound_message(
        sid, request.GET.get("message", ""), request.GET.get("send", "")
    )
    if message is None:
        logger.info("Twilio status %r for unknown message %s ignored", reported, sid)
        return HttpResponse(status=204)
    code = params.get("ErrorCode", "").strip()
    error = (
        _error_text(code, params.get("ErrorMessage", "")) if status == DeliveryStatus.FAILED else ""
    )
    learned = SendResult(TWILIO, sid) if by_our_id else None
    delivery.record_status(message, status, error_code=code, error=error, learned=learned)
    return HttpResponse(status=204)


def _signed(request: HttpRequest) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = settings.PUBLIC_BASE_URL + request.get_full_path()
    return bool(RequestValidator(token).validate(url, request.POST, signature))


def _outbound_message(sid: str, our_id: str, send: str) -> tuple[Message | None, bool]:
    """The message a callback is about, and whether it was found by our id (its SID is then
    still unknown to us and gets recorded). By our id only for the send the callback URL
    named: a late callback about a send before an agent's retry changes nothing."""
    if sid:
        message = (
            Message.objects.filter(
                provider="twilio", provider_message_id=sid, direction=Direction.OUTBOUND
            )
            .only("pk", "conversation_id")
            .first()
        )
        if message is not None:
            return message, False
    if our_id.isdigit():
        message = (
            Message.objects.filter(
                pk=int(our_id), direction=Direction.OUTBOUND, provider_message_id__isnull=True
            )
            .only("pk", "conversation_id", "attempted_at")
            .first()
        )
        if message is None or not send or send_attempt(message) != send:
            return None, False
        return message, bool(sid)
    return None, False


def _error_text(code: str, message: str) -> str:
    text = message.strip() or TWILIO_ERRORS.get(code, "")
    if code and text:
        return f"Twilio error {code}: {text}"
    return f"Twilio error {code}" if code else text


def _text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _twiml() -> HttpResponse:
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


def _forbidden() -> HttpResponse:
    return HttpResponse(
        _("Invalid or missing X-Twilio-Signature."), status=403, content_type="text/plain"
    )


def _bad_request(reason: str) -> HttpResponse:
    return HttpResponse(reason, status=400, content_type="text/plain; charset=utf-8")
