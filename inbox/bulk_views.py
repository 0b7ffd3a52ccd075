"""The list's bulk actions: one POST for the selected conversations, answered with the list
again (htmx) or a redirect to it, a toast saying what was done and what was skipped and
why, and for a resolve an "Undo" toast."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import User
from inbox.actions import bulk as actions
from inbox.actions import labels as label_actions
from inbox.label_views import chosen_label
from inbox.list import ListFilters
from inbox.list_tools import UNDO_SESSION_KEY
from inbox.models import ConversationStatus
from inbox.views import list_context
from lib.errors import ActionRefused
from lib.forms import chosen_id
from lib.htmx import is_partial_request

# Skipped conversations named one by one in the toast; the rest are counted.
NAMED_SKIPS = 3


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values[: actions.MAX_BULK + 1] if v.isdigit()]


def _run(request: AuthenticatedRequest, action: str, ids: list[int]) -> tuple[Any, str]:
    """Run `action` on `ids`; returns the outcome and the sentence for what changed."""
    user = request.user
    if action in (ConversationStatus.RESOLVED, ConversationStatus.PENDING):
        outcome = actions.bulk_set_status(ids, status=action, actor=user)
        if action == ConversationStatus.RESOLVED:
            done = ngettext(
                "%(count)s conversation resolved.",
                "%(count)s conversations resolved.",
                len(outcome.changed),
            )
        else:
            done = ngettext(
                "%(count)s conversation marked as pending.",
                "%(count)s conversations marked as pending.",
                len(outcome.changed),
            )
        return outcome, done % {"count": len(outcome.changed)}
    if action == "assign":
        assignee = User.objects.filter(pk=chosen_id(request.POST, "bulk_assignee") or 0).first()
        if assignee is None:
            raise ActionRefused(_("Choose whom to assign them to."))
        outcome = actions.bulk_assign(ids, assignee=assignee, actor=user)
        done = ngettext(
            "%(count)s conversation assigned to %(name)s.",
            "%(count)s conversations assigned to %(name)s.",
            len(outcome.changed),
        )
        return outcome, done % {"count": len(outcome.changed), "name": assignee}
    if action == "unassign":
        outcome = actions.bulk_unassign(ids, actor=user)
        done = ngettext(
            "%(count)s conversation unassigned.",
            "%(count)s conversations unassigned.",
            len(outcome.changed),
        )
        return outcome, done % {"count": len(outcome.changed)}
    if action in ("label_add", "label_remove"):
        label = chosen_label(request, "bulk_label")
        if action == "label_add":
            outcome = label_actions.add_label_to_many(ids, label=label, actor=user)
            done = ngettext(
                "Label “%(name)s” added to %(count)s conversation.",
                "Label “%(name)s” added to %(count)s conversations.",
                len(outcome.changed),
            )
        else:
            outcome = label_actions.remove_label_from_many(ids, label=label, actor=user)
            done = ngettext(
                "Label “%(name)s” removed from %(count)s conversation.",
                "Label “%(name)s” removed from %(count)s conversations.",
                len(outcome.changed),
            )
        return outcome, done % {"count": len(outcome.changed), "name": label.name}
    raise ActionRefused(_("Choose what to do with the selected conversations."))


def report(request: AuthenticatedRequest, outcome: Any, done: str, *, toast: bool = True) -> None:
    """Toasts: what changed (unless an undo toast says it), what needed no change, and
    which conversations were skipped and why."""
    if toast and outcome.changed:
        messages.success(request, done)
    if outcome.unchanged and not outcome.changed and not outcome.skipped:
        messages.info(request, _("Nothing to change: they are like that already."))
    if outcome.skipped:
        named = "; ".join(
            f"#{conversation.number}: {reason}"
            for conversation, reason in outcome.skipped[:NAMED_SKIPS]
        )
        more = len(outcome.skipped) - NAMED_SKIPS
        text = ngettext(
            "%(count)s conversation skipped (%(named)s).",
            "%(count)s conversations skipped (%(named)s).",
            len(outcome.skipped),
        ) % {"count": len(outcome.skipped), "named": named}
        if more > 0:
            text += " " + ngettext("And %(count)s more.", "And %(count)s more.", more) % {
                "count": more
            }
        messages.warning(request, text)


def _answer(
    request: AuthenticatedRequest,
    filters: ListFilters,
    *,
    undo: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    if not is_partial_request(request):
        return redirect(reverse("inbox:index") + filters.query_string())
    context = {**list_context(request, filters), "undo": undo}
    return render(request, "inbox/_bulk_result.html", context, status=status)


@require_POST
def bulk(request: AuthenticatedRequest) -> HttpResponse:
    """One action on the selected conversations (`conversation`, many), the list's filters
    alongside so the answer is the same list again."""
    filters = ListFilters.from_query(request.POST)
    action = request.POST.get("action", "")
    try:
        outcome, done = _run(request, action, _ids(request.POST.getlist("conversation")))
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return _answer(request, filters, status=refused.status)
    undo = None
    if action == ConversationStatus.RESOLVED and outcome.changed:
        undo = {"token": actions.undo_token(outcome, actor=request.user), "message": done}
        if not is_partial_request(request):
            request.session[UNDO_SESSION_KEY] = undo
    report(request, outcome, done, toast=undo is None)
    return _answer(request, filters, undo=undo)


@require_POST
def bulk_undo(request: AuthenticatedRequest) -> HttpResponse:
    """Undo a bulk resolve: exactly the conversations it resolved open again."""
    filters = ListFilters.from_query(request.POST)
    try:
        outcome = actions.undo_resolve(request.POST.get("token", ""), actor=request.user)
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return _answer(request, filters, status=refused.status)
    done = ngettext(
        "%(count)s conversation reopened.",
        "%(count)s conversations reopened.",
        len(outcome.changed),
    ) % {"count": len(outcome.changed)}
    report(request, outcome, done)
    return _answer(request, filters)
