"""Settings → System: admins only (others 403, as every admin settings page)."""

from django.http import HttpResponse
from django.views.decorators.cache import never_cache

from accounts.access import require_admin
from accounts.http import AuthenticatedRequest
from lib.htmx import render_page
from operations.status import STUCK_AFTER, system_status


@require_admin
@never_cache
def system(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "status": system_status(),
        "stuck_minutes": int(STUCK_AFTER.total_seconds() // 60),
    }
    return render_page(
        request, "operations/settings/system.html", context, fragment="system-status"
    )
