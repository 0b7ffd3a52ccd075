"""From `Authorization: Bearer sb_live_…` to an ApiPrincipal, and the per-operation scope
check that django-ninja runs before it reads the parameters (so a token without the scope
learns nothing, not even which fields are invalid)."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from api.models import ApiToken
from api.principal import ApiPrincipal
from api.tokens import parse, secret_matches


class Unauthenticated(Exception):
    """No usable token: the answer is 401 with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MissingScope(Exception):
    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


def bearer_token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def authenticate(request: HttpRequest) -> ApiPrincipal:
    """The principal of the request's token; Unauthenticated when there is none, it is not a
    token of ours, revoked or expired, or its creator no longer has a licence. One query."""
    presented = bearer_token(request)
    if not presented:
        raise Unauthenticated(_("Send an API token: Authorization: Bearer sb_live_…"))
    parts = parse(presented)
    token = (
        ApiToken.objects.select_related("created_by", "organisation")
        .filter(prefix=parts.prefix)
        .first()
        if parts
        else None
    )
    if parts is None or token is None or not secret_matches(parts.secret, token.secret_hash):
        raise Unauthenticated(_("This API token is not valid."))
    if token.is_revoked:
        raise Unauthenticated(_("This API token was revoked."))
    if token.is_expired:
        raise Unauthenticated(_("This API token has expired."))
    user = token.created_by
    if user is None or not user.is_active:
        raise Unauthenticated(_("The user who created this API token no longer has a licence."))
    return ApiPrincipal(token=token, user=user)


class TokenAuth(HttpBearer):
    """An operation's security: the gateway has found the principal already; this checks
    the scope the operation needs (MissingScope: 403) and documents bearer tokens in the
    OpenAPI schema."""

    openapi_description = "An API token from Settings → API: `Bearer sb_live_<prefix>_<secret>`."

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def __call__(self, request: HttpRequest) -> Any:
        principal = getattr(request, "api_principal", None)
        if principal is None:
            return None
        if not principal.has_scope(self.scope):
            raise MissingScope(self.scope)
        return principal

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover
        return getattr(request, "api_principal", None)


_auth: dict[str, TokenAuth] = {}


def scope(name: str) -> list[TokenAuth]:
    """`auth=` of an operation that needs the scope `name`."""
    return [_auth.setdefault(name, TokenAuth(name))]
