from django.http import HttpResponse
from django.shortcuts import render

from accounts.http import AuthenticatedRequest


def index(request: AuthenticatedRequest) -> HttpResponse:
    """Routing mode: the system hands the agent the next waiting conversation."""
    return render(request, "inbox/routing.html")
