from django.http import HttpResponse
from django.shortcuts import render

from accounts.http import AuthenticatedRequest


def index(request: AuthenticatedRequest) -> HttpResponse:
    """The agent workspace: conversation list, thread and contact panel."""
    return render(request, "inbox/index.html")
