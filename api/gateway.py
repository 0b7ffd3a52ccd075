"""What every API request passes before and after its endpoint, in this order: the token
(401), the token's language for everything said to people, its rate limit (429 with
RateLimit-* headers on every answer), its last use, the Idempotency-Key of a POST, and
problem details for any error answer that is not one yet (Django's 405, a stray 404).

api.urls wraps each django-ninja view in `through_gateway`; the scope of each operation is
checked by django-ninja itself (api.auth.TokenAuth), before it reads any parameter.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from api import idempotency
from api.actions import record_use
from api.auth import Unauthenticated, authenticate, bearer_token
from api.problems import from_status, is_problem, problem, too_large
from api.ratelimit import spend
from lib.ratelimit import client_ip

logger = logging.getLogger("switchboard.api")


def through_gateway(view: Callable[..., Any]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return _answer(request, view, *args, **kwargs)
        except RequestDataTooBig:
            return too_large(request)
        except Exception:
            logger.exception("API request failed")
            return problem(request, 500, "server-error")

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]  # a bearer token, no cookie
    wrapped.login_required = False  # type: ignore[attr-defined]  # the token is the log-in
    return wrapped


def _answer(
    request: HttpRequest, view: Callable[..., Any], *args: Any, **kwargs: Any
) -> HttpResponse:
    try:
        principal = authenticate(request)
    except Unauthenticated as unauthenticated:
        response = problem(request, 401, "unauthorized", unauthenticated.reason)
        challenge = 'Bearer realm="switchboard"'
        if bearer_token(request):
            challenge += ', error="invalid_token"'
        response["WWW-Authenticate"] = challenge
        response["Cache-Control"] = "no-store"
        response["Content-Language"] = translation.get_language() or ""
        return response
    request.api_principal = principal  # type: ignore[attr-defined]
    with translation.override(principal.user.language):
        budget = spend(principal.token.pk, principal.token.rate_limit)
        if not budget.allowed:
            response = problem(
                request,
                429,
                "rate-limited",
                translation.gettext(
                    "This token may send %(limit)s requests a minute. Retry in %(seconds)s s."
                )
                % {"limit": budget.limit, "seconds": max(1, budget.reset_seconds)},
            )
        else:
            record_use(principal.token, ip=client_ip(request))
            response = idempotency.handle(
                request, principal, lambda: view(request, *args, **kwargs)
            )
            if response.status_code >= 400 and not is_problem(response):
                response = from_status(request, response)
        for name, value in budget.headers().items():
            response[name] = value
        response["Cache-Control"] = "no-store"
        response["Content-Language"] = translation.get_language() or ""
        return response
