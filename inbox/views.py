"""The agent workspace: conversation list, thread and contact panel, and the live poll."""

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedRequest
from inbox.access import access_conversation
from inbox.actions import mark_read
from inbox.contact_panel import contact_panel_context
from inbox.list import ListFilters, decorate, inbox_choices, list_page, with_row_data
from inbox.list_tools import list_tools, pop_undo_notice
from inbox.live import POLL_SECONDS, Poller, live_context, nothing_changed
from inbox.models import Conversation, ConversationStatus
from inbox.notifications import unread_context
from inbox.thread import thread_context
from lib.htmx import is_partial_request
from lib.pagination import InvalidCursor
from lib.ratelimit import limit_searches

VIEW_CHOICES = [("all", _("All")), ("mine", _("Mine")), ("unassigned", _("Unassigned"))]


def list_context(request: AuthenticatedRequest, filters: ListFilters) -> dict[str, Any]:
    try:
        page = list_page(request.user, filters, request.GET.get("after"))
    except InvalidCursor as exc:
        raise Http404 from exc
    more_url = ""
    if page.next_cursor:
        more_url = reverse("inbox:index") + filters.query_string(after=page.next_cursor)
    return {
        "filters": filters,
        "conversations_page": page,
        "more_url": more_url,
        "inboxes": inbox_choices(request.user),
        "view_choices": VIEW_CHOICES,
        "status_choices": ConversationStatus.choices,
        # Labels, channels, saved views and the bulk bar's choices (inbox.list_tools).
        **list_tools(request.user, filters),
    }


def workspace_context(request: AuthenticatedRequest, filters: ListFilters) -> dict[str, Any]:
    poller = Poller.issue(request.user)  # before the list is read (see Poller.issue)
    return {
        **list_context(request, filters),
        **unread_context(request.user),
        "poller": poller,
        "poll_seconds": POLL_SECONDS,
    }


@limit_searches("q")
def index(request: AuthenticatedRequest) -> HttpResponse:
    """The workspace with no conversation open; "Show more" and filters answer fragments."""
    filters = ListFilters.from_query(request.GET)
    if is_partial_request(request) and request.GET.get("after"):
        return render(request, "inbox/_list.html#conversation-page", list_context(request, filters))
    if is_partial_request(request):
        return render(request, "inbox/_list.html#conversation-list", list_context(request, filters))
    context = workspace_context(request, filters)
    context["undo_notice"] = pop_undo_notice(request)
    return render(request, "inbox/index.html", context)


# "Show the whole conversation": still bounded, so one page never renders without end.
WHOLE_THREAD_LIMIT = 2000


def row_for(user: Any, conversation: Conversation) -> Conversation:
    """The conversation as its list row. It came through access_conversation, so its inbox,
    contact, assignee and `read_at` are loaded already; otherwise they are loaded here."""
    if not hasattr(conversation, "read_at"):
        conversation = with_row_data(Conversation.objects.filter(pk=conversation.pk), user).get()
    return decorate([conversation])[0]


def conversation_context(
    request: AuthenticatedRequest, conversation: Conversation, *, contact_panel: bool = True
) -> dict[str, Any]:
    whole = request.GET.get("whole") == "1"
    context = thread_context(
        request.user, conversation, limit=WHOLE_THREAD_LIMIT if whole else None
    )
    context["row"] = row_for(request.user, conversation)
    context["open_id"] = conversation.pk
    context["filters"] = ListFilters.from_query(request.GET)
    if contact_panel:
        context.update(
            contact_panel_context(
                request.user, conversation, contact_query=request.GET.get("contact_q", "").strip()
            )
        )
        context["contact_panel"] = True
    return context


@limit_searches("contact_q")
def conversation(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    """The three panes with one conversation open; its panes alone for htmx."""
    conversation = access_conversation(request.user, conversation_id)
    marked = mark_read(conversation, user=request.user)
    context = conversation_context(request, conversation)
    if is_partial_request(request):
        if marked:  # opening it made it read: the navigation's count follows at once
            context.update(unread_context(request.user))
        return render(request, "inbox/_conversation.html", context)
    filters = context["filters"]
    context.update(workspace_context(request, filters))
    return render(request, "inbox/index.html", context)


@limit_searches("contact_q")
def contact_panel(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    """The contact panel alone: searching for the contact to link."""
    conversation = access_conversation(request.user, conversation_id)
    context = contact_panel_context(
        request.user, conversation, contact_query=request.GET.get("contact_q", "").strip()
    )
    return render(request, "inbox/_contact_panel.html#contact-panel-pane", context)


@never_cache
@require_GET
def unread(request: AuthenticatedRequest) -> HttpResponse:
    """The navigation's unread count, for pages outside the workspace (which draws it
    itself and keeps it current with the live poll)."""
    return render(request, "_unread_count.html", unread_context(request.user))


@never_cache
@require_http_methods(["GET", "POST"])
def live(request: AuthenticatedRequest) -> HttpResponse:
    """What changed since the poller's last answer: rows, the open thread, a new poller;
    204 (htmx swaps nothing) when nothing did.

    The page polls with POST: the poller's own state (since, stamps, scope) is in the URL,
    what the page shows (the rows on screen, filters, the open conversation) in the body,
    which a long list would make too long for a URL (gunicorn and proxies refuse request
    lines past 4 to 8 KB). A GET with everything in the query string works as well."""
    state = request.GET.copy()
    if request.method == "POST":
        state.update(request.POST)
    if nothing_changed(request.user, state):
        return HttpResponse(status=204)
    context = live_context(request.user, state)
    if context.get("reload_list"):
        context.update(list_context(request, context["filters"]))
    return render(request, "inbox/_live.html", context)
