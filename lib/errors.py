"""The two ways an action says no, and the one place views turn them into an answer.

- `PermissionDenied` (Django's): the user may not do this. With a reason (e.g. "Assign the
  conversation to yourself to reply."), a view decorated with `refusals_answered_by` shows
  the reason and its page again with 403; without one it is Django's plain 403 page.
- `ActionRefused`: the action declined to change anything for a reason the user can act on
  (someone else was quicker: 409; the input does not fit the current state: 422, the
  default). A `ValidationError` raised by an action counts as 422.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse


class ActionRefused(Exception):
    """An action declined to change anything; `message` says why, in the user's language,
    and `status` is the HTTP status a view answers with."""

    status = 422

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class Conflict(ActionRefused):
    """Someone else changed it first (two agents taking one conversation)."""

    status = 409


Back = Callable[..., HttpResponse]


def refusals_answered_by(back: Back) -> Callable[[Callable[..., HttpResponse]], Any]:
    """Decorate a view whose action may refuse: the reason becomes a toast, and the answer is
    `back(request, *view_args, status=…)` — the page or fragment the user acted on, again."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except ActionRefused as refused:
                messages.error(request, refused.message)
                return back(request, *args, status=refused.status, **kwargs)
            except ValidationError as invalid:
                messages.error(request, " ".join(invalid.messages))
                return back(request, *args, status=422, **kwargs)
            except PermissionDenied as denied:
                if not str(denied):
                    raise
                messages.error(request, str(denied))
                return back(request, *args, status=403, **kwargs)

        return wrapper

    return decorator
