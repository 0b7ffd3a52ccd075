"""Rate limits shared by every process, with `limits` in Redis (in memory without REDIS_URL).

A rate is a `limits` string from settings ("120/minute", "20/10 minutes"). A limit whose
storage does not answer lets the request through and logs a warning: Redis away must not
lock everyone out of logging in or searching.
"""

import logging
import time
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from lib.htmx import is_partial_request

logger = logging.getLogger("switchboard.ratelimit")


@cache
def _limiter(storage_url: str) -> MovingWindowRateLimiter:
    options: dict[str, Any] = {}
    if storage_url.startswith(("redis://", "rediss://")):
        options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    return MovingWindowRateLimiter(storage_from_string(storage_url, **options))


@cache
def _item(rate: str) -> RateLimitItem:
    return parse(rate)


def _identifiers(scope: str, key: str) -> tuple[str, ...]:
    # RATE_LIMIT_NAMESPACE keeps installations (and test runs) sharing one Redis apart.
    return (getattr(settings, "RATE_LIMIT_NAMESPACE", "") or "switchboard", scope, key)


def client_ip(request: HttpRequest) -> str:
    """The client's address as django-axes reads it (REMOTE_ADDR, or the proxy's
    X-Forwarded-For with BEHIND_PROXY), so both limits agree on who is who."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or "unknown"


def limiter() -> MovingWindowRateLimiter:
    return _limiter(settings.REDIS_URL or "memory://")


def hit(scope: str, rate: str, key: str) -> bool:
    """Count one event for `key`; False when it is over `rate`."""
    try:
        return bool(limiter().hit(_item(rate), *_identifiers(scope, key)))
    except Exception:
        logger.warning("rate limit %s unavailable", scope, exc_info=True)
        return True


def exceeded(scope: str, rate: str, key: str) -> bool:
    """True when `key` has used up `rate` already (counts nothing)."""
    try:
        return not limiter().test(_item(rate), *_identifiers(scope, key))
    except Exception:
        logger.warning("rate limit %s unavailable", scope, exc_info=True)
        return False


def used(scope: str, rate: str, key: str) -> int | None:
    """How many events `key` counted within `rate`'s window (counts nothing); None when the
    storage does not answer."""
    try:
        _reset, remaining = limiter().get_window_stats(_item(rate), *_identifiers(scope, key))
    except Exception:
        logger.warning("rate limit %s unavailable", scope, exc_info=True)
        return None
    return max(0, _item(rate).amount - int(remaining))


def retry_after(scope: str, rate: str, key: str) -> int:
    """Seconds until `key` may try again (at least 1)."""
    try:
        reset, _remaining = limiter().get_window_stats(_item(rate), *_identifiers(scope, key))
    except Exception:
        return _item(rate).get_expiry()
    return max(1, round(reset - time.time()))


def too_many_requests(request: HttpRequest, seconds: int) -> HttpResponse:
    """429 with a message: a fragment for htmx (it swaps error responses into the target),
    a page otherwise."""
    template = "rate_limited.html#rate-limited" if is_partial_request(request) else None
    response = render(
        request,
        template or "rate_limited.html",
        {"retry_seconds": seconds},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def limit_searches(*params: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., Any]]:
    """Limit a view to SEARCH_RATE_LIMIT per user for the requests that search, i.e. carry
    one of `params` in the query string; browsing without a query is never limited."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            searching = any(request.GET.get(name, "").strip() for name in params)
            if searching and request.user.is_authenticated:
                rate, key = settings.SEARCH_RATE_LIMIT, str(request.user.pk)
                if not hit("search", rate, key):
                    return too_many_requests(request, retry_after("search", rate, key))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
