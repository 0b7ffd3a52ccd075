"""Settings → Organisation and Settings → Users: admins only."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import actions
from accounts.access import access_user, require_admin
from accounts.forms import InviteUserForm, OrganisationForm, UserForm, account_variable_formset
from accounts.http import AuthenticatedRequest
from accounts.models import AccountEvent, Organisation, User
from accounts.settings_sections import sections_for
from lib.errors import ActionRefused
from lib.forms import search_query
from lib.htmx import is_partial_request, render_page
from lib.pagination import InvalidCursor, paginate

USERS_PER_PAGE = 50


def index(request: AuthenticatedRequest) -> HttpResponse:
    """The first settings section the user may open."""
    sections = sections_for(request.user)
    if not sections:
        raise PermissionDenied
    return redirect(sections[0].url)


@require_admin
def organisation(request: AuthenticatedRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = OrganisationForm(data, instance=Organisation.load())
    variables = account_variable_formset(data, Organisation.load())
    valid = data is not None and all([form.is_valid(), variables.is_valid()])
    if valid:
        # The form has already copied the values onto its instance, so the action gets a
        # fresh row to compare against and records what really changed.
        actions.update_organisation(
            Organisation.load(),
            actor=request.user,
            variables=variables.variables(),
            **form.cleaned_data,
        )
        messages.success(request, _("The organisation's details are saved."))
        if not is_partial_request(request):
            return redirect("settings:organisation")
        # A fresh set of rows: removed ones gone, an empty one to add the next.
        variables = account_variable_formset(None, Organisation.load())
    return render_page(
        request,
        "accounts/settings/organisation.html",
        {"form": form, "variables": variables},
        fragment="organisation-form",
        status=422 if data is not None and not valid else 200,
    )


@require_admin
def users(request: AuthenticatedRequest) -> HttpResponse:
    query = search_query(request.GET)
    status = request.GET.get("status", "")
    queryset = User.objects.search(query)
    if status == "licensed":
        queryset = queryset.licensed()
    elif status == "unlicensed":
        queryset = queryset.filter(is_active=False)
    try:
        page = paginate(
            queryset,
            ordering=("display_name", "id"),
            cursor=request.GET.get("after"),
            per_page=USERS_PER_PAGE,
        )
    except InvalidCursor as exc:
        raise Http404 from exc
    context = {"page": page, "query": query, "status": status}
    fragment = "user-rows" if request.GET.get("after") else "user-list"
    return render_page(request, "accounts/settings/users.html", context, fragment=fragment)


@require_admin
def user_invite(request: AuthenticatedRequest) -> HttpResponse:
    form = InviteUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = actions.invite_user(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})
        return redirect("settings:user_detail", user_id=user.id)
    status = 422 if form.errors else 200
    return render(request, "accounts/settings/user_invite.html", {"form": form}, status=status)


@require_admin
def user_detail(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    user = access_user(request.user, user_id)
    form = UserForm(
        request.POST or None,
        initial={
            "display_name": user.display_name,
            "role": user.role,
            "language": user.language,
            "time_zone": user.time_zone,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_user(user, actor=request.user, **form.cleaned_data)
        except ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": user})
            return redirect("settings:user_detail", user_id=user.id)
    events = AccountEvent.objects.filter(user=user).select_related("actor")[:20]
    status = 422 if form.errors else 200
    return render(
        request,
        "accounts/settings/user_detail.html",
        {"subject": user, "form": form, "events": events},
        status=status,
    )


@require_admin
@require_POST
def user_remove_licence(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    user = access_user(request.user, user_id)
    try:
        actions.remove_licence(user, actor=request.user)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, _("%(name)s no longer has a licence and cannot log in.") % {"name": user}
        )
    return redirect("settings:user_detail", user_id=user.id)


@require_admin
@require_POST
def user_restore_licence(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    user = access_user(request.user, user_id)
    actions.restore_licence(user, actor=request.user)
    messages.success(request, _("%(name)s has a licence again.") % {"name": user})
    return redirect("settings:user_detail", user_id=user.id)


@require_admin
@require_POST
def user_resend_invitation(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    user = access_user(request.user, user_id)
    try:
        actions.resend_invitation(user, actor=request.user)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Invitation sent again to %(email)s.") % {"email": user.email})
    return redirect("settings:user_detail", user_id=user.id)
