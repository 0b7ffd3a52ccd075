"""/api/: the v1 operations (each through api.gateway), the OpenAPI schema and the docs."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path
from django.views.decorators.http import require_GET

from accounts.access import require_admin
from api.api import api
from api.gateway import through_gateway


def _wrapped(patterns: list[Any]) -> list[Any]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            _wrapped(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            entry.callback = through_gateway(entry.callback)
    return patterns


@require_GET
def openapi_json(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3.1 schema, public: it describes the API and holds no data."""
    return JsonResponse(api.get_openapi_schema(path_params={}), json_dumps_params={"indent": 1})


openapi_json.login_required = False  # type: ignore[attr-defined]


@require_admin
def docs(request: HttpRequest) -> HttpResponse:
    """Swagger UI over the schema, for logged-in admins (others: 403; nobody: log in)."""
    return api.docs.render_page(request, api)


def _unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/v1/: a 404 problem, after the token was checked."""
    return HttpResponse(status=404)


patterns = [
    path("v1/openapi.json", openapi_json, name="openapi-json"),
    path("docs", docs, name="docs"),
    *_wrapped(api.urls[0]),
    re_path(r"^v1/(?P<rest>.*)$", through_gateway(_unknown), name="unknown"),
]
urls = (patterns, "api")
