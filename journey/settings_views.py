"""Settings → Journey (admins): how long page views are kept (organisation-wide)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.access import require_admin
from accounts.http import AuthenticatedRequest
from journey import actions
from journey.forms import JourneySettingsForm
from journey.models import JourneySettings
from lib.htmx import is_partial_request, render_page


@require_admin
def journey_settings(request: AuthenticatedRequest) -> HttpResponse:
    settings = JourneySettings.load()
    form = JourneySettingsForm(request.POST or None, instance=JourneySettings.load())
    if request.method == "POST" and form.is_valid():
        changed = actions.update_journey_settings(
            settings, retention_days=form.cleaned_data["retention_days"], actor=request.user
        )
        messages.success(
            request, _("The journey settings are saved.") if changed else _("Nothing was changed.")
        )
        if not is_partial_request(request):
            return redirect("journey_settings:journey")
    return render_page(
        request,
        "journey/settings.html",
        {"form": form},
        fragment="journey-settings-form",
        status=422 if form.errors else 200,
    )
