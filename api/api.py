"""The NinjaAPI of /api/v1/: its routers, and every exception as problem details."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from api.actions import OptedOut
from api.auth import MissingScope
from api.problems import field_errors, problem, too_large
from api.validation import translated_errors
from lib.errors import ActionRefused, Conflict
from lib.pagination import InvalidCursor

logger = logging.getLogger("switchboard.api")

DESCRIPTION = """The Switchboard REST API for CRMs, shops and ticketing systems.

Authenticate with an API token from Settings → API: `Authorization: Bearer sb_live_…`.
Each operation names the scope it needs. A token restricted to some inboxes sees only their
conversations, messages and campaigns: anything else is 404. Errors are RFC 9457 problem
details. Every POST takes an `Idempotency-Key`. Lists are keyset-paginated: follow `next`.
"""


class ScopedSchema(OpenAPISchema):
    """The schema with each operation's scope: in its security requirement (OpenAPI 3.1
    allows role names for bearer schemes) and as `x-scope`."""

    def operation_security(self, operation: Operation) -> list[dict[str, Any]] | None:
        return [
            {auth.__class__.__name__: [auth.scope]}
            for auth in operation.auth_callbacks
            if hasattr(auth, "scope")
        ] or super().operation_security(operation)

    def operation_details(self, operation: Operation) -> dict[str, Any]:
        details = super().operation_details(operation)
        scopes = [auth.scope for auth in operation.auth_callbacks if hasattr(auth, "scope")]
        if scopes:
            details["x-scope"] = scopes[0]
        return details


class SwitchboardAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return ScopedSchema(self, path_prefix)


api = SwitchboardAPI(
    title="Switchboard API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    openapi_url=None,
    docs_url=None,
)


def _on(exc_class: type[Exception]) -> Any:
    return api.exception_handler(exc_class)


@_on(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
    return too_large(request)


@_on(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(
        request, 404, "not-found", _("There is nothing here, or this token may not see it.")
    )


@_on(MissingScope)
def _missing_scope(request: HttpRequest, exc: MissingScope) -> HttpResponse:
    return problem(
        request,
        403,
        "missing-scope",
        _("This token needs the scope %(scope)s for this request.") % {"scope": exc.scope},
        scope=exc.scope,
    )


@_on(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(request, 401, "unauthorized")


@_on(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(request, 403, "forbidden", str(exc))


@_on(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return problem(request, 422, "validation", errors=translated_errors(exc.errors))


@_on(DjangoValidationError)
def _invalid_for_django(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors = (
        field_errors(exc.message_dict)
        if hasattr(exc, "error_dict")
        else [{"field": "", "message": str(message)} for message in exc.messages]
    )
    return problem(
        request, 422, "validation", " ".join(e["message"] for e in errors), errors=errors
    )


@_on(ActionRefused)
def _refused(request: HttpRequest, exc: ActionRefused) -> HttpResponse:
    kind = "opted-out" if isinstance(exc, OptedOut) else "refused"
    if isinstance(exc, Conflict) or exc.status == 409:
        kind = "conflict"
    return problem(request, exc.status, kind, exc.message)


@_on(InvalidCursor)
def _bad_cursor(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(
        request,
        400,
        "bad-request",
        _("The cursor is not valid. Start again from the first page."),
        errors=[{"field": "cursor", "message": _("Not a cursor of this list.")}],
    )


@_on(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    kinds = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found"}
    # django-ninja's 400 is a body it could not parse; its words are English, ours are not.
    detail = _("The body could not be read: send JSON.") if exc.status_code == 400 else str(exc)
    return problem(request, exc.status_code, kinds.get(exc.status_code, "bad-request"), detail)


@_on(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API request failed", exc_info=exc)
    return problem(request, 500, "server-error")


def register_routers() -> None:
    from api.routers import campaigns, contacts, conversations, directory

    api.add_router("/v1/contacts", contacts.router, tags=["contacts"])
    api.add_router("/v1/conversations", conversations.router, tags=["conversations"])
    api.add_router("/v1/messages", conversations.messages_router, tags=["messages"])
    api.add_router("/v1/campaigns", campaigns.router, tags=["campaigns"])
    api.add_router("/v1", directory.router, tags=["directory"])


register_routers()
