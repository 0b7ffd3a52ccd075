"""The one door to webhook endpoints and their deliveries: organisation admins only.

Everyone else gets 404, for the pages as for every object by id — an endpoint's URL and
its delivery log are the organisation's integration details, not something a manager or
an agent should learn even exists.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import Organisation, User
from webhooks.models import WebhookDelivery, WebhookEndpoint


def is_webhook_admin(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_admin)


def require_webhook_admin(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let only organisation admins through; everyone else gets 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_webhook_admin(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def endpoints_visible_to(user: User) -> Any:
    """The endpoints `user` may see: all of the organisation's for its admins, else none."""
    if not is_webhook_admin(user):
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.filter(organisation_id=Organisation.SINGLETON_ID)


def access_endpoint(user: User, endpoint_id: int) -> WebhookEndpoint:
    """The endpoint for an admin of its organisation; Http404 for anyone else or none."""
    endpoint = endpoints_visible_to(user).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Http404
    return endpoint


def access_delivery(user: User, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """A delivery of the endpoint (both must match); Http404 otherwise."""
    endpoint = access_endpoint(user, endpoint_id)
    delivery = (
        WebhookDelivery.objects.filter(pk=delivery_id, endpoint=endpoint)
        .select_related("event", "endpoint")
        .first()
    )
    if delivery is None:
        raise Http404
    return delivery
