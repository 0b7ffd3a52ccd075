"""What the list offers beyond its rows (issue 11): the label and channel filters, the
user's saved views and the bulk bar's choices. At most two queries a page: the user's saved
views, and for managers the people they may assign to (labels are cached)."""

from copy import copy
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from inbox.list import ListFilters
from inbox.models import Channel, Label, Membership, SavedView

# What a saved view keeps of the list's filters (a contact's conversations are reached
# from the contact, not saved).
SAVED_FILTERS = ("view", "inbox", "status", "q", "channel", "label", "assignee")
# A bulk resolve made without JavaScript: its "Undo" waits in the session for the page the
# redirect lands on (with htmx it comes as a toast in the answer itself).
UNDO_SESSION_KEY = "inbox-bulk-undo"
BULK_STATUSES = [("resolved", _("Resolve")), ("pending", _("Mark pending"))]


def saved_filters(filters: ListFilters) -> dict[str, str]:
    return {k: v for k, v in filters.params().items() if k in SAVED_FILTERS}


def saved_view_url(view: SavedView) -> str:
    """The list with the view's filters, read again by ListFilters (which drops whatever
    no longer makes sense), as every other list URL."""
    params = {k: str(v) for k, v in (view.filters or {}).items() if k in SAVED_FILTERS}
    return reverse("inbox:index") + ("?" + urlencode(params) if params else "")


def saved_views_of(user: Any, filters: ListFilters | None = None) -> list[SavedView]:
    """The user's saved views by name, each with its `url` and whether it is the list on
    screen (`is_current`)."""
    current = saved_filters(filters) if filters is not None else None
    views = [copy(view) for view in SavedView.objects.cached_for(user.pk)]
    for view in views:
        view.url = saved_view_url(view)  # type: ignore[attr-defined]
        view.is_current = current is not None and view.filters == current  # type: ignore[attr-defined]
    return views


def bulk_assignees(user: Any) -> list[User]:
    """Whom the bulk bar offers to assign to besides "me": the licensed members of the
    inboxes the user manages (none for agents: they only take conversations)."""
    scope = Membership.objects.scope_for(user)
    if not scope.manages_any:
        return []
    members = User.objects.filter(is_active=True).exclude(pk=user.pk)
    if not scope.admin:
        members = members.filter(memberships__inbox_id__in=scope.managed_ids)
    else:
        members = members.filter(memberships__isnull=False)
    return list(members.distinct().order_by("display_name", "id"))


def list_tools(user: Any, filters: ListFilters) -> dict[str, Any]:
    saved = saved_views_of(user, filters)
    return {
        "labels": Label.objects.cached(),
        "channel_choices": Channel.choices,
        "saved_views": saved,
        "current_view": next((view for view in saved if view.is_current), None),  # type: ignore[attr-defined]
        "saved_filters": saved_filters(filters),
        "bulk_assignees": bulk_assignees(user),
        "bulk_statuses": BULK_STATUSES,
    }


def pop_undo_notice(request: Any) -> dict[str, str] | None:
    """The waiting "Undo" of a bulk resolve, once."""
    notice = request.session.pop(UNDO_SESSION_KEY, None)
    return notice if isinstance(notice, dict) else None
