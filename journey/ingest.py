"""POST /w/<public id>/pv: page views from the widget's journey recorder (static/webchat/
journey.js), sent with navigator.sendBeacon from the host site.

Nothing the browser says is trusted: the widget must be enabled and the request come from one
of its allowed origins (webchat.origins, the check every widget request passes), from a visitor
the widget knows, with a consent mode that allows it — checked here again:

- chat_only: only a visitor who has opened the chat (webchat creates the visitor then), and
  only page views from that moment on;
- journey: only with the host's consent passed with the views, and never for a visitor whose
  consent the widget stored as withdrawn;
- server: never from a browser (the API takes them, journey.api).

Rate-limited per visitor and per network; the address is cut to its network before anything
is stored. Answers 204, or a problem as JSON with a message that says what was wrong.
"""

import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from journey.privacy import browser_family, truncate_ip
from journey.recording import Visit, clean_views, current_session_fields, record
from lib import ratelimit
from webchat.models import ConsentMode, WebVisitor, token_hash
from webchat.origins import embedding_allowed
from webchat.origins import origin_of as referer_origin

MAX_BODY = 32 * 1024
OPENING_GRACE = timedelta(seconds=30)


def _rate(name: str, default: str) -> str:
    return str(getattr(settings, name, default))


def _problem(status: int, message: str, origin: str = "") -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    return response


def _body(request: HttpRequest) -> dict[str, Any] | None:
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@csrf_exempt
@login_not_required
@require_POST
def page_views(request: HttpRequest, public_id: str) -> HttpResponse:
    if len(request.body) > MAX_BODY:
        return _problem(413, _("Too many page views in one request."))
    data = _body(request)
    if data is None or not isinstance(data.get("visitor"), str) or not data["visitor"]:
        return _problem(400, _("Send JSON with the visitor's token and the page views."))
    embed = request.headers.get("Origin", "") or referer_origin(request.headers.get("Referer", ""))
    network = truncate_ip(ratelimit.client_ip(request)) or "unknown"
    if not ratelimit.hit("journey-network", _rate("JOURNEY_NETWORK_RATE", "600/minute"), network):
        return _problem(429, _("Too many page views from this network; try again in a minute."))
    visitor = (
        WebVisitor.objects.filter(
            token_hash=token_hash(data["visitor"][:200]),
            widget__public_id=public_id,
            widget__enabled=True,
        )
        .select_related("widget")
        .annotate(**current_session_fields("widget__inbox_id", key_ref="token_hash"))
        .first()
    )
    if visitor is None:
        return _problem(404, _("This widget or visitor is unknown."))
    widget = visitor.widget
    if not embedding_allowed(request, widget.origins, embed):
        return _problem(403, _("This website may not use the widget."))
    if not ratelimit.hit(
        "journey-visitor", _rate("JOURNEY_VISITOR_RATE", "30/minute"), visitor.token_hash
    ):
        return _problem(429, _("Too many page views; try again in a minute."), embed)
    refusal = consent_refusal(widget.consent_mode, visitor, data)
    if refusal:
        return _problem(403, refusal, embed)
    now = timezone.now()
    views = clean_views(data.get("views"), origins=[embed], now=now, sent=data.get("sent"))
    if widget.consent_mode == ConsentMode.CHAT_ONLY:
        # Only from the moment the visitor opened the chat: the page they opened it on was
        # recorded a moment before the chat frame made them known.
        opened = visitor.created_at - OPENING_GRACE
        views = [view for view in views if view.at >= opened]
    visit = Visit(
        inbox_id=widget.inbox_id,
        visitor_key=visitor.token_hash,
        contact_id=visitor.contact_id,
        ip_network=None if network == "unknown" else network,
        browser=browser_family(request.headers.get("User-Agent", "")[:500]),
        session_id=visitor.journey_session_id,  # type: ignore[attr-defined]
        session_last_seen_at=visitor.journey_session_last_seen_at,  # type: ignore[attr-defined]
        session_contact_id=visitor.journey_session_contact_id,  # type: ignore[attr-defined]
    )
    record(visit, views, leave=data.get("leave") is True)
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Origin"] = embed
    response["Vary"] = "Origin"
    return response


def consent_refusal(mode: str, visitor: WebVisitor, data: dict[str, Any]) -> str:
    """Why the consent mode refuses these page views, or "" when it allows them."""
    if mode == ConsentMode.SERVER:
        return _("This widget takes page views from the website's server only.")
    if mode == ConsentMode.JOURNEY:
        if data.get("consent") is not True or visitor.consent is False:
            return _("The visitor has not consented to recording their visit.")
        return ""
    if mode == ConsentMode.CHAT_ONLY:
        # The visitor exists once they opened the chat; the browser must say so as well.
        if data.get("chat") is not True:
            return _("Page views are recorded only once the visitor opens the chat.")
        return ""
    return _("This widget records no page views.")
