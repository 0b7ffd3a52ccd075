"""Settings → API: admins list, create and revoke API tokens."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.access import require_admin
from accounts.http import AuthenticatedRequest
from api import actions
from api.forms import TokenForm
from api.models import ApiToken

MAX_TOKENS_SHOWN = 200


@require_admin
def tokens(request: AuthenticatedRequest) -> HttpResponse:
    rows = (
        ApiToken.objects.select_related("created_by")
        .prefetch_related("inboxes")
        .order_by("revoked_at", "-created_at", "-id")[:MAX_TOKENS_SHOWN]
    )
    return render(request, "api/settings/tokens.html", {"tokens": rows})


@require_admin
def token_new(request: AuthenticatedRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = actions.create_token(
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            inboxes=list(form.cleaned_data["inboxes"]),
            expires_at=form.expires_at(),
            rate_limit=form.cleaned_data["rate_limit"],
            actor=request.user,
        )
        # The one time the token is shown: the answer to the POST itself, so it is never in
        # a URL, a session or a later page; the browser may not keep it either.
        response = render(
            request,
            "api/settings/token_created.html",
            {"token": created.token, "plaintext": created.plaintext},
        )
        response["Cache-Control"] = "no-store"
        return response
    status = 422 if form.errors else 200
    return render(
        request,
        "api/settings/token_new.html",
        {"form": form},
        status=status,
    )


@require_admin
def token_revoke(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id)
    if request.method == "POST":
        actions.revoke_token(token, actor=request.user)
        messages.success(
            request, _("%(name)s is revoked: it no longer works.") % {"name": token.name}
        )
        return redirect("api_settings:tokens")
    return render(request, "api/settings/token_revoke.html", {"token": token})
