"""A memo that lives for one request: values computed once per request (the user's inboxes
and roles) and never shared between requests. Outside a request — tasks, shell, tests calling
actions directly — nothing is memoised and every call computes afresh, so a change made a
moment ago is always seen there."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

T = TypeVar("T")

_memo: ContextVar[dict[Any, Any] | None] = ContextVar("request_memo", default=None)


def memoised(key: Any, compute: Callable[[], T]) -> T:
    """`compute()` once per request under `key`; every time outside a request."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def forget(key: Any) -> None:
    """Drop a memoised value, e.g. after an action changed what it was computed from."""
    memo = _memo.get()
    if memo is not None:
        memo.pop(key, None)


@contextmanager
def scope() -> Iterator[None]:
    """A memo for work that is not a request but reads the same rows many times (a task
    rendering a campaign's messages reads the attribute definitions once, not per contact)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


class RequestMemoMiddleware:
    """Give each request its own empty memo."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
