"""Signed-in visitors (issue 14): the host site's back end signs a short-lived JWT with the
inbox's identity secret (HS256) and hands it to the widget, `Switchboard('identify',
{token})`. PyJWT verifies it here; the claims are the host's user id (`sub`, required), an
expiry (`exp`, required, at most an hour ahead) and optionally `email`, `phone` and `name`.
"""

from dataclasses import dataclass
from datetime import timedelta

import jwt
from django.utils import timezone
from django.utils.translation import gettext as _

MAX_AHEAD = timedelta(hours=1)
# Clocks differ a little between the host's server and ours.
LEEWAY = timedelta(seconds=30)
MAX_TOKEN = 4096
MAX_SUB = 200


@dataclass(frozen=True)
class Claims:
    sub: str
    email: str = ""
    phone: str = ""
    name: str = ""


class IdentityRefused(Exception):
    """The token does not sign the visitor in; `message` says why, for the visitor's
    widget (the chat goes on unverified)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def verify_token(token: str, secret: str) -> Claims:
    """The token's claims, or IdentityRefused: no secret set, malformed, another algorithm,
    a wrong signature, expired, or expiring more than an hour ahead."""
    if not secret:
        raise IdentityRefused(_("This chat does not accept sign-ins."))
    if not token or len(token) > MAX_TOKEN:
        raise IdentityRefused(_("The sign-in token is missing or too long."))
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"require": ["exp", "sub"]},
            leeway=LEEWAY,
        )
    except jwt.ExpiredSignatureError:
        raise IdentityRefused(_("The sign-in token has expired.")) from None
    except jwt.InvalidSignatureError:
        raise IdentityRefused(
            _("The sign-in token is not signed with this chat's secret.")
        ) from None
    except jwt.PyJWTError:
        raise IdentityRefused(_("The sign-in token is not valid.")) from None
    if timezone.now().timestamp() + (MAX_AHEAD + LEEWAY).total_seconds() < float(claims["exp"]):
        raise IdentityRefused(_("The sign-in token must expire within an hour."))
    sub = str(claims["sub"]).strip()
    if not sub or len(sub) > MAX_SUB:
        raise IdentityRefused(_("The sign-in token names no user."))
    return Claims(
        sub=sub,
        email=_text(claims.get("email")),
        phone=_text(claims.get("phone")),
        name=_text(claims.get("name"))[:150],
    )


def _text(value: object) -> str:
    return value.strip()[:320] if isinstance(value, str) else ""
