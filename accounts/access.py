"""The one door to account objects a user asks for by id, and to admin-only pages."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from accounts.models import User


def require_admin(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let only organisation admins through; everyone else gets 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated or not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def access_user(actor: User, user_id: int) -> User:
    """Load a user for an admin's user-management page; 403 for non-admins, 404 if absent."""
    if not actor.is_admin:
        raise PermissionDenied
    return get_object_or_404(User, pk=user_id)
