"""Settings → Webhooks: endpoints, their secrets, delivery log, replays and the signature
guide. Organisation admins only (webhooks.access: everyone else gets 404).

A new or rotated secret is shown once, in the answer to the POST that made it — it is
stored only encrypted and no page shows it again.
"""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from lib.errors import ActionRefused
from lib.htmx import render_page
from lib.pagination import InvalidCursor, paginate
from webhooks import actions
from webhooks.access import (
    access_delivery,
    access_endpoint,
    endpoints_visible_to,
    require_webhook_admin,
)
from webhooks.event_types import ALL, EVENT_TYPES
from webhooks.forms import EndpointForm, ReplaySinceForm
from webhooks.models import EndpointEvent, WebhookDelivery

DELIVERIES_PER_PAGE = 25


def _form_context(form: EndpointForm) -> dict[str, Any]:
    descriptions = [
        (name, description, name in (form["event_types"].value() or []))
        for name, description in EVENT_TYPES.items()
    ]
    return {"form": form, "event_types": descriptions}


@require_webhook_admin
def endpoints(request: AuthenticatedRequest) -> HttpResponse:
    rows = list(endpoints_visible_to(request.user).order_by("created_at", "id"))
    return render(request, "webhooks/endpoints.html", {"endpoints": rows})


@require_webhook_admin
def endpoint_add(request: AuthenticatedRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            endpoint, secret = actions.create_endpoint(
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
                event_types=form.cleaned_data["event_types"],
                include_personal_data=form.cleaned_data["include_personal_data"],
                actor=request.user,
            )
            return _secret_page(request, endpoint, secret, created=True)
        return render(request, "webhooks/endpoint_form.html", _form_context(form), status=422)
    return render(request, "webhooks/endpoint_form.html", _form_context(form))


def _secret_page(
    request: AuthenticatedRequest, endpoint: Any, secret: str, *, created: bool
) -> HttpResponse:
    response = render(
        request,
        "webhooks/secret.html",
        {"endpoint": endpoint, "secret": secret, "created": created},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_webhook_admin
def detail(request: AuthenticatedRequest, endpoint_id: int) -> HttpResponse:
    endpoint = access_endpoint(request.user, endpoint_id)
    try:
        page = paginate(
            WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event"),
            ordering=("-id",),
            cursor=request.GET.get("after"),
            per_page=DELIVERIES_PER_PAGE,
        )
    except InvalidCursor as exc:
        raise Http404 from exc
    context = {
        "endpoint": endpoint,
        "page": page,
        "replay_form": ReplaySinceForm(),
        "history": EndpointEvent.objects.filter(endpoint=endpoint).select_related("actor")[:10],
        "all_events": ALL in (endpoint.event_types or []),
    }
    fragment = "delivery-rows" if request.GET.get("after") else None
    return render_page(request, "webhooks/endpoint_detail.html", context, fragment=fragment)


@require_webhook_admin
def edit(request: AuthenticatedRequest, endpoint_id: int) -> HttpResponse:
    endpoint = access_endpoint(request.user, endpoint_id)
    form = EndpointForm(request.POST or None, initial=EndpointForm.initial_for(endpoint))
    if request.method == "POST":
        if form.is_valid():
            changed = actions.update_endpoint(
                endpoint,
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
                event_types=form.cleaned_data["event_types"],
                include_personal_data=form.cleaned_data["include_personal_data"],
                actor=request.user,
            )
            messages.success(request, _("Endpoint saved.") if changed else _("Nothing changed."))
            return redirect("webhook_settings:endpoint", endpoint.pk)
        status = 422
    else:
        status = 200
    context = {**_form_context(form), "endpoint": endpoint}
    return render(request, "webhooks/endpoint_form.html", context, status=status)


@require_webhook_admin
def rotate(request: AuthenticatedRequest, endpoint_id: int) -> HttpResponse:
    endpoint = access_endpoint(request.user, endpoint_id)
    if request.method == "POST":
        secret = actions.rotate_secret(endpoint, actor=request.user)
        endpoint.refresh_from_db()
        return _secret_page(request, endpoint, secret, created=False)
    return render(request, "webhooks/confirm.html", {"endpoint": endpoint, "action": "rotate"})


@require_webhook_admin
def delete(request: AuthenticatedRequest, endpoint_id: int) -> HttpResponse:
    endpoint = access_endpoint(request.user, endpoint_id)
    if request.method == "POST":
        actions.delete_endpoint(endpoint, actor=request.user)
        messages.success(request, _("Endpoint deleted. Nothing more is sent to it."))
        return redirect("webhook_settings:endpoints")
    return render(request, "webhooks/confirm.html", {"endpoint": endpoint, "action": "delete"})


@require_webhook_admin
@require_POST
def enable(request: AuthenticatedRequest, endpoint_id: int) -> HttpResponse:
    endpoint = access_endpoint(request.user, endpoint_id)
    if actions.set_enabled(endpoint, enabled=True, actor=request.user):
        messages.success(request, _("Endpoint enabled. Deliveries that waited are sent now."))
    return redirect("webhook_settings:endpoint", endpoint.pk)


@require_webhook_admin
@require_POST
def disable(request: AuthenticatedRequest, endpoint_id: int) -> HttpResponse:
    endpoint = access_endpoint(request.user, endpoint_id)
    if actions.set_enabled(endpoint, enabled=False, actor=request.user):
        messages.success(request, _("Endpoint disabled. Events wait until you enable it."))
    return redirect("webhook_settings:endpoint", endpoint.pk)


@require_webhook_admin
@require_POST
def send_test(request: AuthenticatedRequest, endpoint_id: int) -> HttpResponse:
    endpoint = access_endpoint(request.user, endpoint_id)
    actions.send_test_event(endpoint, actor=request.user)
    if endpoint.enabled:
        messages.success(request, _("Test event sent. Its delivery appears in the log below."))
    else:
        messages.success(request, _("Test event written. It is sent when you enable the endpoint."))
    return redirect("webhook_settings:endpoint", endpoint.pk)


@require_webhook_admin
@require_POST
def replay(request: AuthenticatedRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    delivery = access_delivery(request.user, endpoint_id, delivery_id)
    try:
        actions.replay_delivery(delivery, actor=request.user)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("The delivery is sent again."))
    return redirect("webhook_settings:endpoint", endpoint_id)


@require_webhook_admin
@require_POST
def replay_since(request: AuthenticatedRequest, endpoint_id: int) -> HttpResponse:
    endpoint = access_endpoint(request.user, endpoint_id)
    form = ReplaySinceForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("webhook_settings:endpoint", endpoint.pk)
    count = actions.replay_failed_since(
        endpoint, since=form.cleaned_data["since"], actor=request.user
    )
    if count:
        messages.success(
            request,
            _("%(count)s failed deliveries are sent again.") % {"count": count},
        )
    else:
        messages.success(request, _("No failed deliveries since then."))
    return redirect("webhook_settings:endpoint", endpoint.pk)


@require_webhook_admin
def verify_guide(request: AuthenticatedRequest, endpoint_id: int) -> HttpResponse:
    endpoint = access_endpoint(request.user, endpoint_id)
    return render(request, "webhooks/verify.html", {"endpoint": endpoint})
