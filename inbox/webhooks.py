"""Provider webhooks (placeholder until the Twilio handlers land in this change)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@login_not_required
@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=501)


@login_not_required
@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=501)
