"""POST /w/<public id>/pv: page views from the widget's journey recorder (static/webchat/
journey.js), sent with navigator.sendBeacon from the host site.

Nothing the browser says is trusted: the widget must be enabled and the request come from one
of its allowed origins (webchat.origins, the check every widget request passes), from a visitor
the widget knows, with a consent mode that allows it — checked here again:

- chat_only: only a visitor who has opened the chat (webchat creates the visitor then), and
  only page views from that moment on — or the next pages of a visit recorded so (the
  recorder's key in the host site's storage carries the visit where the chat frame, a
  third-party frame, gets no storage and each page is a new widget visitor);
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
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from journey.privacy import browser_family, truncate_ip
from journey.recording import (
    Visit,
    clean_views,
    clock_skew,
    current_session_fields,
    moment,
    record,
)
from lib import ratelimit
from webchat.models import ConsentMode, WebVisitor, WebWidget, token_hash
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
    visitor_key = token_hash(data["visitor"][:200])
    browser = data.get("journey")
    browser_key = token_hash(browser[:200]) if isinstance(browser, str) and browser else ""
    widget = _widget_with_visitor(public_id, visitor_key, browser_key)
    if widget is None:
        return _problem(404, _("This widget is unknown."))
    if not embedding_allowed(request, widget.origins, embed):
        return _problem(403, _("This website may not use the widget."))
    if not ratelimit.hit(
        "journey-visitor", _rate("JOURNEY_VISITOR_RATE", "30/minute"), browser_key or visitor_key
    ):
        return _problem(429, _("Too many page views; try again in a minute."), embed)
    known = widget.visitor_id is not None
    continuing = widget.journey_session_id is not None
    if not known and not continuing:
        # Neither a visitor the chat frame made known (on opening the chat, or on the
        # host's consent) nor the continuation of a visit recorded so.
        return _problem(404, _("This visitor is unknown to the widget."), embed)
    refusal = consent_refusal(widget.consent_mode, widget.visitor_consent, data)
    if refusal:
        return _problem(403, refusal, embed)
    now = timezone.now()
    views = clean_views(data.get("views"), origins=[embed], now=now, sent=data.get("sent"))
    if widget.consent_mode == ConsentMode.CHAT_ONLY and not continuing:
        # Only from the moment the visitor opened the chat: the page they opened it on was
        # recorded a moment before the chat frame made them known.
        opened = widget.visitor_created_at - OPENING_GRACE
        views = [view for view in views if view.at >= opened]
    visit = Visit(
        inbox_id=widget.inbox_id,
        visitor_key=visitor_key if known else "",
        browser_key=browser_key,
        contact_id=widget.visitor_contact_id,
        ip_network=None if network == "unknown" else network,
        browser=browser_family(request.headers.get("User-Agent", "")[:500]),
        session_id=widget.journey_session_id,
        session_last_seen_at=widget.journey_session_last_seen_at,
        session_contact_id=widget.journey_session_contact_id,
        session_visitor_key=widget.journey_session_visitor_key or "",
    )
    leave = data.get("leave") is True
    # When the page was left, by the visitor's clock set right: a beacon sent on leaving may
    # arrive after the next page's view.
    left_at = _left_at(data, now) if leave else None
    record(visit, views, leave=leave, left_at=left_at)
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Origin"] = embed
    response["Vary"] = "Origin"
    return response


def _left_at(data: dict[str, Any], now: Any) -> Any:
    return moment(data.get("left"), now, skew=clock_skew(data.get("sent"), now))


def _widget_with_visitor(public_id: str, visitor_key: str, browser_key: str) -> Any:
    """The enabled widget with, in the same query, the visitor of the token (visitor_id,
    visitor_contact_id, visitor_consent, visitor_created_at: None when unknown) and the
    current session of the recorder's browser key (or, without one, of the visitor)."""
    visitor = WebVisitor.objects.filter(widget=OuterRef("pk"), token_hash=visitor_key)
    match = {"browser_key": browser_key} if browser_key else {"visitor_key": visitor_key}
    return (
        WebWidget.objects.filter(public_id=public_id, enabled=True)
        .annotate(
            visitor_id=Subquery(visitor.values("pk")[:1]),
            visitor_contact_id=Subquery(visitor.values("contact_id")[:1]),
            visitor_consent=Subquery(visitor.values("consent")[:1]),
            visitor_created_at=Subquery(visitor.values("created_at")[:1]),
            **current_session_fields("inbox_id", **match),
        )
        .first()
    )


def consent_refusal(mode: str, visitor_consent: bool | None, data: dict[str, Any]) -> str:
    """Why the consent mode refuses these page views, or "" when it allows them."""
    if mode == ConsentMode.SERVER:
        return _("This widget takes page views from the website's server only.")
    if mode == ConsentMode.JOURNEY:
        if data.get("consent") is not True or visitor_consent is False:
            return _("The visitor has not consented to recording their visit.")
        return ""
    if mode == ConsentMode.CHAT_ONLY:
        # The visitor exists once they opened the chat (or continues a visit recorded since);
        # the browser must say so as well.
        if data.get("chat") is not True:
            return _("Page views are recorded only once the visitor opens the chat.")
        return ""
    return _("This widget records no page views.")
