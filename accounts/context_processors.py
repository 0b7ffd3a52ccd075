from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import Organisation
from accounts.settings_sections import sections_for


def workspace(request: HttpRequest) -> dict[str, object]:
    """What the workspace shell needs on every page: the organisation and the user's rights."""
    user = getattr(request, "user", None)  # absent on pages rendered outside the middleware
    sections = SimpleLazyObject(lambda: sections_for(user) if user else [])
    return {
        "organisation": SimpleLazyObject(Organisation.load),
        "settings_sections": sections,
        "can_open_settings": SimpleLazyObject(lambda: bool(sections)),
        "section": getattr(request.resolver_match, "namespace", "") or "",
    }
