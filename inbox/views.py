from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def index(request: HttpRequest) -> HttpResponse:
    """The agent workspace: conversation list, thread and contact panel."""
    return render(request, "inbox/index.html")


def routing(request: HttpRequest) -> HttpResponse:
    """Routing mode: the system hands the agent the next waiting conversation."""
    return render(request, "inbox/routing.html")
