"""Every error of the API as RFC 9457 problem details (`application/problem+json`).

`type` names the kind of problem (a relative URI: README "API errors" lists them), `title`
and `detail` are for people, in the token creator's language (the request runs in it,
api.gateway), `instance` is the request's path (never its query string, which may hold a
phone number), and `errors` lists field errors as {"field", "message"}.
"""

import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

logger = logging.getLogger("switchboard.api")

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "/api/problems/"


def titles() -> dict[str, str]:
    """Each problem type's title, in the active language."""
    return {
        "bad-request": _("The request could not be read"),
        "unauthorized": _("Authentication required"),
        "missing-scope": _("The token lacks a scope"),
        "forbidden": _("Not allowed"),
        "not-found": _("Not found"),
        "method-not-allowed": _("Method not allowed"),
        "conflict": _("Conflict"),
        "idempotency-key-in-use": _("A request with this Idempotency-Key is still in progress"),
        "idempotency-key-reused": _("The Idempotency-Key was used for another request"),
        "validation": _("The request has invalid fields"),
        "too-large": _("The request is too large"),
        "refused": _("The request was refused"),
        "opted-out": _("The contact has opted out"),
        "rate-limited": _("Too many requests"),
        "server-error": _("Something went wrong on our side"),
    }


def problem(
    request: HttpRequest,
    status: int,
    kind: str,
    detail: str = "",
    *,
    errors: list[dict[str, str]] | None = None,
    **extra: Any,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + kind,
        "title": titles()[kind],
        "status": status,
        "detail": detail or titles()[kind],
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE
    )


def field_errors(error_dict: dict[str, list[str]]) -> list[dict[str, str]]:
    """Django's {field: [messages]} as the problem's `errors` list."""
    return [
        {"field": field if field != "__all__" else "", "message": str(message)}
        for field, messages in error_dict.items()
        for message in messages
    ]


def is_problem(response: Any) -> bool:
    return str(response.get("Content-Type", "")).startswith(CONTENT_TYPE)


def from_status(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An error answer that is not a problem yet (Django's 405, a bare 404) as one; headers
    such as Allow are kept."""
    kinds = {
        400: "bad-request",
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        409: "conflict",
        413: "too-large",
        422: "validation",
        429: "rate-limited",
    }
    status = response.status_code
    kind = kinds.get(status, "server-error" if status >= 500 else "bad-request")
    converted = problem(request, status, kind)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in response:
            converted[header] = response[header]
    return converted


def too_large(request: HttpRequest) -> HttpResponse:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413, with the limit (a batch of 1,000 fits
    unless its items carry long texts: send fewer per call)."""
    from django.conf import settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return problem(
        request,
        413,
        "too-large",
        _("The body is larger than %(size)s MB. Send fewer items per request.")
        % {"size": round(limit / 1_000_000, 1)},
    )
