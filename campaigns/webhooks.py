"""Twilio's delivery callbacks for campaign messages: verified by signature, applied forward
only to the recipient row named on the callback URL (campaigns.senders) and checked against
the SID we stored, safe to replay."""

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from campaigns import delivery
from campaigns.models import CampaignRecipient, RecipientStatus
from inbox.channels.twilio.webhooks import _signed as twilio_signed
from lib.text import without_nul

logger = logging.getLogger("switchboard.campaigns")

STATUSES = {
    "sent": RecipientStatus.SENT,
    "delivered": RecipientStatus.DELIVERED,
    "read": RecipientStatus.DELIVERED,
    "undelivered": RecipientStatus.FAILED,
    "failed": RecipientStatus.FAILED,
}


@login_not_required
@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not twilio_signed(request):
        return HttpResponse("Forbidden: the request is not signed by Twilio.", status=403)
    params = without_nul(request.POST.dict())
    status = STATUSES.get((params.get("MessageStatus") or "").lower())
    recipient_id = request.GET.get("recipient", "")
    if status is None or not recipient_id.isdigit():
        return HttpResponse(status=204)
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    recipient = (
        CampaignRecipient.objects.select_related("campaign").filter(pk=int(recipient_id)).first()
    )
    if recipient is None or (recipient.provider_message_id not in (None, sid)):
        logger.info("campaign status for unknown recipient %s (%s) ignored", recipient_id, sid)
        return HttpResponse(status=204)
    if recipient.provider_message_id is None and sid:
        CampaignRecipient.objects.filter(pk=recipient.pk, provider_message_id__isnull=True).update(
            provider_message_id=sid[:200]
        )
    code = (params.get("ErrorCode") or "").strip()
    delivery.record_status(recipient, status, code=code, error=params.get("ErrorMessage", ""))
    return HttpResponse(status=204)
