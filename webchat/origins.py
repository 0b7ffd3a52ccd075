"""The websites allowed to embed an inbox's widget, and the check every widget request
passes (issue 14): the embedding origin the loader hands the iframe, and the browser's
`Origin` and `Referer`, must each be our own origin or one of the widget's.

An origin is `https://host[:port]`; plain http only for 127.0.0.1 and localhost with a port
(development). Nothing else — no paths, no wildcards — so the list can go into
`frame-ancestors` as it is.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

MAX_ORIGINS = 20
_HOST = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)
DEVELOPMENT_HOSTS = {"127.0.0.1", "localhost"}


def normalise_origin(value: str) -> str:
    """`value` as an origin (scheme://host[:port], lower-case), or ValidationError saying
    why it is not one we allow."""
    text = value.strip().rstrip("/")
    problem = ValidationError(
        _(
            "“%(value)s” is not an allowed website origin: write https://host or "
            "https://host:port (http only for 127.0.0.1 or localhost with a port)."
        ),
        code="invalid_origin",
        params={"value": value.strip()[:100]},
    )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise problem from None
    host = (parts.hostname or "").lower()
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise problem
    if parts.scheme == "http":
        if host not in DEVELOPMENT_HOSTS or port is None:
            raise problem
    elif (
        parts.scheme != "https"
        or not _HOST.match(host)
        or ("." not in host and host not in DEVELOPMENT_HOSTS)
    ):
        raise problem
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def parse_origins(text: str) -> list[str]:
    """The origins of a textarea, one a line (blank lines skipped, duplicates once), or
    ValidationError with every line that is not an origin."""
    origins: list[str] = []
    problems: list[ValidationError] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            origin = normalise_origin(line)
        except ValidationError as invalid:
            problems.append(invalid)
            continue
        if origin not in origins:
            origins.append(origin)
    if problems:
        raise ValidationError(problems)
    if len(origins) > MAX_ORIGINS:
        raise ValidationError(
            _("A widget may be embedded by at most %(count)s websites."),
            params={"count": MAX_ORIGINS},
        )
    return origins


def origin_of(url: str) -> str:
    """The origin of a URL (a Referer), or "" when it has none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return ""
    return f"{parts.scheme}://{parts.hostname.lower()}" + (f":{port}" if port is not None else "")


def own_origin() -> str:
    return origin_of(settings.PUBLIC_BASE_URL)


def embedding_allowed(request: HttpRequest, allowed: list[str], embed: str) -> bool:
    """Whether a widget request may be answered: `embed` (the host page's origin, as the
    loader passed it) must be one of `allowed`, and the browser's `Origin` and `Referer`,
    where sent, our own origin (the iframe) or an allowed one. A request naming no embedding
    origin is refused."""
    if not embed or embed not in allowed:
        return False
    trusted = {own_origin(), *allowed}
    origin = request.headers.get("Origin", "")
    if origin and origin not in trusted:
        return False
    referer = request.headers.get("Referer", "")
    return not referer or origin_of(referer) in trusted
