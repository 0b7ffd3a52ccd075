"""Routing mode: instead of browsing the inbox, the agent is handed the next waiting
conversation of their inboxes (oldest first, claimed with SKIP LOCKED by
assignment.route_next), works on it in a focused view and moves on to the next.

The conversation on screen is the agent's oldest open conversation assigned to them; when they
have none, the page offers "Get next conversation", or says why there is nothing to get (nothing
waits, or they are at their capacity). Every action is a plain POST that redirects; the reply
form also works over htmx, which swaps the conversation in place.
"""

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from inbox import actions
from inbox.access import access_conversation, rights_in
from inbox.actions import assignment
from inbox.models import Conversation, ConversationStatus, Membership, Message
from lib.errors import refusals_answered_by
from lib.htmx import is_partial_request, render_page

TEMPLATE = "inbox/routing.html"
THREAD_LIMIT = 100  # the newest messages shown; the inbox view has the whole history
QUEUE_LIMIT = 20
WAITING_SHOWN = 99  # "99+ waiting": the page never counts a big table


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Reply"),
        max_length=actions.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Write a reply first.")},
    )
    # A fresh id per rendered form: a double submit stores the reply once (actions.reply).
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)


def _fresh_reply_form() -> ReplyForm:
    return ReplyForm(initial={"client_id": uuid.uuid4()})


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
    return (
        _my_conversations(user)
        .filter(status=ConversationStatus.OPEN)
        .select_related("assignee")
        .first()
    )


def index(request: AuthenticatedRequest) -> HttpResponse:
    return _render(request, _current(request.user))


def conversation(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    return _render(request, access_conversation(request.user, conversation_id))


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
    conversation = access_conversation(request.user, conversation_id)
    fragment = "routing-conversation" if is_partial_request(request) else None
    return _render(request, conversation, fragment=fragment, status=status)


refusals = refusals_answered_by(_back)


@require_POST
@refusals
def reply(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _render(
            request, conversation, reply_form=form, fragment="routing-conversation", status=422
        )
    actions.reply(
        conversation,
        body=form.cleaned_data["body"],
        actor=request.user,
        client_id=form.cleaned_data["client_id"],
    )
    messages.success(request, _("Reply sent."))
    if is_partial_request(request):
        return _render(request, conversation, fragment="routing-conversation")
    return redirect("routing:conversation", conversation_id=conversation.pk)


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
    if _current(request.user) is not None:
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


def _render(
    request: AuthenticatedRequest,
    conversation: Conversation | None,
    *,
    reply_form: ReplyForm | None = None,
    fragment: str | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    load, capacity = assignment.open_load(user), assignment.capacity_of(user)
    context: dict[str, Any] = {
        "conversation": conversation,
        "load": load,
        "capacity": capacity,
        "at_capacity": load >= capacity,
        "queue": list(_my_conversations(user)[:QUEUE_LIMIT]),
        "is_member": Membership.objects.filter(user=user).exists(),
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
        newest = list(
            Message.objects.filter(conversation=conversation)
            .select_related("author")
            .order_by("-created_at", "-id")[: THREAD_LIMIT + 1]
        )
        context.update(
            conversation=conversation,
            rights=rights_in(user, conversation),
            thread=newest[:THREAD_LIMIT][::-1],
            earlier=len(newest) > THREAD_LIMIT,
            thread_limit=THREAD_LIMIT,
            reply_form=reply_form or _fresh_reply_form(),
            is_mine=conversation.assignee_id == user.pk,
        )
    return render_page(request, TEMPLATE, context, fragment=fragment, status=status)
