from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import Organisation


def workspace(request: HttpRequest) -> dict[str, object]:
    """What the workspace shell needs on every page: the organisation and the user's rights."""
    user = getattr(request, "user", None)  # absent on pages rendered outside the middleware
    return {
        "organisation": SimpleLazyObject(Organisation.load),
        "can_open_settings": bool(user and user.is_authenticated and user.is_admin),
        "section": getattr(request.resolver_match, "namespace", "") or "",
    }
