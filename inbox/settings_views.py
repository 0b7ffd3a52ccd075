from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from accounts.http import AuthenticatedRequest
from inbox.access import manages_any_inbox


def inboxes(request: AuthenticatedRequest) -> HttpResponse:
    if not manages_any_inbox(request.user):
        raise PermissionDenied
    return render(request, "settings/inboxes.html")
