"""Routing mode: instead of browsing the inbox, the agent is handed the next waiting
conversation of their inboxes (oldest first, claimed with SKIP LOCKED by
assignment.route_next), works on it and moves on to the next.

It is the same workspace as the inbox — the same thread, composer and contact panel
(inbox.views.conversation_context) — with routing's own bar ("Resolve and next", "Pending
and next", "Hand back", the agent's load) and their queue in place of the list. The thread's
and panel's forms post to the inbox's views, which send the agent back here
(`is_routing_request`). The conversation on screen is the agent's oldest open conversation
assigned to them; when they have none, the page offers "Get next conversation", or says why
there is nothing to get (nothing waits, or they are at their capacity)."""

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from inbox import actions
from inbox.access import access_conversation
from inbox.actions import assignment, mark_read
from inbox.list import conversation_title
from inbox.models import Conversation, ConversationStatus, Membership
from inbox.views import conversation_context
from lib.errors import refusals_answered_by

TEMPLATE = "inbox/routing.html"
QUEUE_LIMIT = 20
WAITING_SHOWN = 99  # "99+ waiting": the page never counts a big table


def is_routing_request(request: HttpRequest) -> bool:
    """Whether the request is for the routing page or comes from it, so that the inbox's
    views answer for it and the panes' links stay in routing mode: htmx names the page it
    was sent from (HX-Current-URL); a plain form post has its Referer (sent for the same
    origin: SECURE_REFERRER_POLICY "same-origin"). Without either, the answer is the
    inbox's — a way back, not a wrong one."""
    routing = reverse("routing:index")
    if request.path.startswith(routing):
        return True
    htmx = getattr(request, "htmx", None)
    page = (htmx.current_url if htmx else None) or request.headers.get("Referer", "")
    if not page:
        return False
    parts = urlsplit(page)
    if parts.netloc and parts.netloc != request.get_host():
        return False
    return parts.path.startswith(routing)


def _my_inbox_ids(user: Any) -> QuerySet[Membership, Any]:
    return Membership.objects.filter(user=user).values("inbox_id")


def _my_conversations(user: Any) -> QuerySet[Conversation]:
    """Conversations assigned to `user` that are not resolved, in inboxes they belong to,
    oldest first: routing mode's queue."""
    return (
        Conversation.objects.filter(assignee=user, inbox__in=_my_inbox_ids(user))
        .exclude(status=ConversationStatus.RESOLVED)
        .select_related("inbox", "contact")
        .order_by("created_at", "id")
    )


def _current(user: Any) -> Conversation | None:
    current = _my_conversations(user).filter(status=ConversationStatus.OPEN).first()
    # Loaded through the one door, like every conversation a page shows.
    return access_conversation(user, current.pk) if current is not None else None


def index(request: AuthenticatedRequest) -> HttpResponse:
    return page(request, _current(request.user))


def conversation(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    return page(request, access_conversation(request.user, conversation_id))


@require_POST
def next_conversation(request: AuthenticatedRequest) -> HttpResponse:
    routed = assignment.route_next(agent=request.user)
    if routed is not None:
        messages.success(
            request, _("Conversation #%(number)s is yours now.") % {"number": routed.number}
        )
    elif assignment.open_load(request.user) >= assignment.capacity_of(request.user):
        messages.info(request, _("You are at your capacity; finish a conversation first."))
    else:
        messages.info(request, _("Nothing is waiting right now."))
    return redirect("routing:index")


def _back(request: AuthenticatedRequest, conversation_id: int, *, status: int) -> HttpResponse:
    """After a refusal: the conversation as it is now, with the reason as a toast."""
    return page(request, access_conversation(request.user, conversation_id), status=status)


refusals = refusals_answered_by(_back)


@require_POST
@refusals
def resolve(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    return _finish(request, conversation_id, status=ConversationStatus.RESOLVED)


@require_POST
@refusals
def pend(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    return _finish(request, conversation_id, status=ConversationStatus.PENDING)


def _finish(request: AuthenticatedRequest, conversation_id: int, *, status: str) -> HttpResponse:
    """Resolve the conversation or set it pending, then hand the agent the next one when
    nothing else of theirs is open."""
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    actions.set_status(conversation, status=status, actor=request.user)
    if status == ConversationStatus.RESOLVED:
        done = _("#%(number)s is resolved.") % {"number": conversation.number}
    else:
        done = _("#%(number)s is pending.") % {"number": conversation.number}
    if _my_conversations(request.user).filter(status=ConversationStatus.OPEN).exists():
        messages.success(request, done)
        return redirect("routing:index")
    routed = assignment.route_next(agent=request.user)
    if routed is not None:
        following = _("Here is the next one: #%(number)s.") % {"number": routed.number}
        messages.success(request, f"{done} {following}")
    else:
        messages.success(request, done)
    return redirect("routing:index")


@require_POST
@refusals
def hand_back(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    assignment.unassign(conversation, actor=request.user)
    messages.success(
        request,
        _("#%(number)s is back with the team, unassigned.") % {"number": conversation.number},
    )
    return redirect("routing:index")


def _queue(user: Any) -> list[Conversation]:
    queue = list(_my_conversations(user)[:QUEUE_LIMIT])
    for item in queue:
        item.title = conversation_title(item)  # type: ignore[attr-defined]
    return queue


def page(
    request: AuthenticatedRequest,
    conversation: Conversation | None,
    *,
    status: int = 200,
    draft: str = "",
) -> HttpResponse:
    """The routing page: its bar and queue, and the conversation in the workspace's own
    thread, composer and contact panel (a `draft` that could not be sent goes back into
    the reply box). Opening a conversation here reads it, as in the inbox."""
    user = request.user
    load, capacity = assignment.open_load(user), assignment.capacity_of(user)
    context: dict[str, Any] = {
        "load": load,
        "capacity": capacity,
        "at_capacity": load >= capacity,
        "queue": _queue(user),
        "is_member": Membership.objects.filter(user=user).exists(),
        "conversation": None,
    }
    if conversation is None:
        waiting = (
            Conversation.objects.waiting()
            .filter(inbox__in=_my_inbox_ids(user))
            .order_by()[: WAITING_SHOWN + 1]
            .count()
        )
        context.update(waiting=min(waiting, WAITING_SHOWN), more_waiting=waiting > WAITING_SHOWN)
    else:
        if status == 200:
            mark_read(conversation, user=user)
        context.update(conversation_context(request, conversation))
        # Routing has no conversation list: nothing of the thread's answers updates a row.
        context["row"] = None
        context.update(
            draft=draft,
            is_mine=conversation.assignee_id == user.pk,
            can_finish=conversation.status != ConversationStatus.RESOLVED
            and (context["rights"].can_reply or context["rights"].can_manage),
        )
    return render(request, TEMPLATE, context, status=status)
