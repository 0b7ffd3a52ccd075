from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.http import AuthenticatedRequest
from journey.access import access_journey, access_session
from journey.models import PageView
from journey.panel import journey_tab
from lib.htmx import is_partial_request, render_page

SESSION_VIEWS_SHOWN = 500


def trail(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    """The Journey tab's trail, polled while the tab is open ("now on …" stays current)."""
    contact = access_journey(request.user, contact_id)
    if not is_partial_request(request):
        return redirect(reverse("contacts:detail", args=[contact.pk]) + "?tab=journey")
    context = {"contact": contact, **journey_tab(request.user, contact)}
    return render_page(
        request, "journey/_panel_tab_journey.html", context, fragment="journey-trail"
    )


def session_detail(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    session = access_session(request.user, session_id)
    views = list(
        PageView.objects.filter(session=session).order_by("at", "id")[: SESSION_VIEWS_SHOWN + 1]
    )
    more = len(views) > SESSION_VIEWS_SHOWN
    views = views[:SESSION_VIEWS_SHOWN]
    steps = [
        (view, round((views[i + 1].at - view.at).total_seconds()) if i + 1 < len(views) else None)
        for i, view in enumerate(views)
    ]
    context = {"session": session, "contact": session.contact, "steps": steps, "more": more}
    return render_page(request, "journey/session.html", context)
