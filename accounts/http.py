from django.http import HttpRequest

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """A request behind LoginRequiredMiddleware: `user` is a real, licensed user."""

    user: User
