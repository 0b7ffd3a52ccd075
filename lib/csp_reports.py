"""Content-Security-Policy violation reports: read, reduce to what is safe to log, log.

Browsers post reports to CSP's `report-uri` (`application/csp-report`, one report) and
`report-to` (the Reporting API, `application/reports+json`, a list). A report names the
page and the blocked resource with whole URLs, which may carry ids, tokens or search terms
in their paths and query strings; only the blocked resource's origin, the directive and
the page's route name are logged.
"""

import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

logger = logging.getLogger("switchboard.csp")

CONTENT_TYPES = {"application/csp-report", "application/reports+json", "application/json"}
MAX_BODY_BYTES = 16 * 1024
MAX_REPORTS = 20
# What a browser names instead of a URL for inline code, eval and the like.
KEYWORDS = {"inline", "eval", "self", "data", "blob", "wasm-eval", "trusted-types-policy"}
DIRECTIVE = re.compile(r"^[a-z-]{1,40}$")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]{0,19}$")
ENDPOINT_NAME = "csp-endpoint"


class BadReport(ValueError):
    """The body is not a CSP report this endpoint can read."""


def origin_only(value: Any) -> str | None:
    """`https://cdn.example.com` of a URL, the keyword (`inline`), the scheme (`data`) — or
    None. Never a path or query."""
    if not isinstance(value, str) or not value:
        return None
    value = value.strip()[:2048]
    if value.lower() in KEYWORDS:
        return value.lower()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not SCHEME.match(scheme):
        return None
    if scheme in {"http", "https", "ws", "wss"} and parts.hostname:
        return f"{scheme}://{parts.hostname}{f':{port}' if port else ''}"
    return scheme


def directive_of(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    # CSP level 2 browsers send the whole directive ("script-src 'self'"): its name.
    name = value.strip().split(" ", 1)[0].lower()
    return name if DIRECTIVE.match(name) else None


def document_route(value: Any) -> str | None:
    """The URL pattern name of the page that was blocked, None when it names none of ours."""
    if not isinstance(value, str) or not value:
        return None
    try:
        path = urlsplit(value.strip()[:2048]).path or "/"
        return resolve(path).view_name
    except (ValueError, Resolver404):
        return None


def _violations(payload: Any) -> Iterator[dict[str, Any]]:
    """The reports in either format, as dicts with the old (report-uri) key names."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        yield payload["csp-report"]
        return
    if not isinstance(payload, list):
        raise BadReport("neither a csp-report object nor a list of reports")
    for entry in payload[:MAX_REPORTS]:
        if not isinstance(entry, dict) or not isinstance(entry.get("body"), dict):
            continue
        if entry.get("type") not in {None, "csp-violation"}:
            continue
        body = entry["body"]
        yield {
            "document-uri": body.get("documentURL") or entry.get("url"),
            "blocked-uri": body.get("blockedURL"),
            "effective-directive": body.get("effectiveDirective"),
            "disposition": body.get("disposition"),
        }


def parse(raw: bytes) -> list[dict[str, Any]]:
    """What to log of each report in `raw`. Raises BadReport."""
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadReport("not JSON") from exc
    reduced = []
    for report in _violations(payload):
        disposition = report.get("disposition")
        reduced.append(
            {
                "directive": directive_of(
                    report.get("effective-directive") or report.get("violated-directive")
                ),
                "blocked": origin_only(report.get("blocked-uri")),
                "document_route": document_route(report.get("document-uri")),
                "disposition": disposition if disposition in {"enforce", "report"} else None,
            }
        )
    return reduced


def log_reports(reports: list[dict[str, Any]]) -> None:
    for report in reports:
        logger.warning("csp_violation", extra=report)


class ReportingEndpointsMiddleware:
    """`Reporting-Endpoints` beside every Content-Security-Policy header, naming the
    endpoint CSP's `report-to` refers to."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.urls import reverse

        response = self.get_response(request)
        if response.has_header("Content-Security-Policy") or response.has_header(
            "Content-Security-Policy-Report-Only"
        ):
            url = settings.PUBLIC_BASE_URL + reverse("csp_report")
            response["Reporting-Endpoints"] = f'{ENDPOINT_NAME}="{url}"'
        return response
