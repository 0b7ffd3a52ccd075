"""Saved views of the conversation list: save the current filters under a name, and the
page that renames and deletes them. Only ever the user's own (inbox.access)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from inbox.access import access_saved_view
from inbox.actions import saved_views as actions
from inbox.label_forms import SavedViewForm
from inbox.list import ListFilters
from inbox.list_tools import saved_filters, saved_view_url, saved_views_of


def saved_views(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "inbox/saved_views.html",
        {"saved_views": saved_views_of(request.user)},
    )


@require_POST
def saved_view_add(request: AuthenticatedRequest) -> HttpResponse:
    """Save the list's filters (sent by the form beside the list) under the given name, and
    open the view."""
    filters = ListFilters.from_query(request.POST)
    form = SavedViewForm(request.POST)
    back = reverse("inbox:index") + filters.query_string()
    if not form.is_valid():
        messages.error(request, _("Give the view a name of at most 60 characters."))
        return redirect(back)
    try:
        view = actions.save_view(
            user=request.user, name=form.cleaned_data["name"], filters=saved_filters(filters)
        )
    except ValidationError as invalid:
        messages.error(request, " ".join(invalid.messages))
        return redirect(back)
    messages.success(request, _("View “%(name)s” is saved.") % {"name": view.name})
    return redirect(saved_view_url(view))


@require_POST
def saved_view_rename(request: AuthenticatedRequest, view_id: int) -> HttpResponse:
    view = access_saved_view(request.user, view_id)
    form = SavedViewForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Give the view a name of at most 60 characters."))
        actions.rename_view(view, name=form.cleaned_data["name"], actor=request.user)
    except ValidationError as invalid:
        messages.error(request, " ".join(invalid.messages))
    else:
        messages.success(request, _("View renamed to “%(name)s”.") % {"name": view.name})
    return redirect("inbox:saved_views")


@require_POST
def saved_view_delete(request: AuthenticatedRequest, view_id: int) -> HttpResponse:
    view = access_saved_view(request.user, view_id)
    actions.delete_view(view, actor=request.user)
    messages.success(request, _("View “%(name)s” is deleted.") % {"name": view.name})
    return redirect("inbox:saved_views")
