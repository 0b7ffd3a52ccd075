"""Views that belong to no app: health check and error pages."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from prometheus_client import CONTENT_TYPE_LATEST

from lib import csp_reports, metrics, ratelimit


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database (and Redis, when configured) answer; 503 otherwise."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = type(exc).__name__
    if settings.REDIS_URL:
        try:
            cache.set("healthz", "ok", 5)
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = type(exc).__name__
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)


@login_not_required
@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics for `Authorization: Bearer <METRICS_TOKEN>`; 404 while no token is
    configured (the endpoint does not exist then), 403 for a wrong or missing one."""
    if not settings.METRICS_TOKEN:
        raise Http404
    if not metrics.token_matches(settings.METRICS_TOKEN, request.headers.get("Authorization", "")):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)


@csrf_exempt
@login_not_required
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """Browsers' CSP violation reports (report-uri and report-to), logged without personal
    data (lib.csp_reports); rate limited per address, over which nothing is logged."""
    if not ratelimit.hit(
        "csp-report", settings.CSP_REPORT_RATE_LIMIT, ratelimit.client_ip(request)
    ):
        return HttpResponse(status=429)
    content_type = (request.content_type or "").lower()
    if content_type not in csp_reports.CONTENT_TYPES:
        return HttpResponse(status=415)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponse(status=400)
    if declared > csp_reports.MAX_BODY_BYTES:
        return HttpResponse(status=413)
    raw = request.read(csp_reports.MAX_BODY_BYTES + 1)
    if len(raw) > csp_reports.MAX_BODY_BYTES:
        return HttpResponse(status=413)
    try:
        reports = csp_reports.parse(raw)
    except csp_reports.BadReport:
        return HttpResponse(status=400)
    csp_reports.log_reports(reports)
    return HttpResponse(status=204)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)
