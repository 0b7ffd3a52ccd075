from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import Organisation


def workspace(request: HttpRequest) -> dict[str, object]:
    """What the workspace shell needs on every page: the organisation and the user's rights."""
    user = request.user
    return {
        "organisation": SimpleLazyObject(Organisation.load),
        "can_open_settings": user.is_authenticated and user.is_admin,
        "section": getattr(request.resolver_match, "namespace", "") or "",
    }
