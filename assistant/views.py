"""The message assistant's pages and fragments.

- The reply box's "Assistant" tool (members of the conversation's inbox): rewrite in a tone,
  fix grammar, shorten, translate — the answer offers to replace the reply text, never sends —
  and "Summarise this case", which adds an internal comment.
- The campaign editor's "Draft with the assistant" panel (managers of the campaign's inbox):
  three checked variants to insert into the message; nothing is saved or sent.
- A request's progress and answer, polled by htmx until it is finished (the finished
  fragment has no trigger, so swapping it in stops the polling: htmx 4 ignores 286).
- Settings → Message assistant (admins): whether a model is configured, the monthly token
  budget with this month's use, and the request log (without content).

Everything loads through the apps' access doors first (404 for another inbox's conversation
or campaign, 403 for a member who may not), so the assistant being off never tells anyone
that something exists.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import require_admin
from accounts.http import AuthenticatedRequest
from accounts.models import Organisation
from assistant import actions, breaker, budget, jobs, provider
from assistant.access import access_request
from assistant.forms import BudgetForm, DraftForm, ReplyToolForm
from assistant.models import AssistantRequest, Feature
from campaigns.access import access_campaign, can_manage
from inbox.access import access_conversation, inbox_role
from lib.errors import ActionRefused
from lib.htmx import is_partial_request, render_page

REQUEST_TEMPLATE = "assistant/request.html"
LOG_ROWS = 50


# --- Registered tools --------------------------------------------------------------------


def composer_tool(user: Any, conversation: Any) -> dict[str, Any] | None:
    """The reply box's "Assistant" button: for members of the inbox, when the assistant is
    available there (configured, not paused by the circuit breaker, switched on)."""
    if inbox_role(user, conversation.inbox) is None:
        return None
    if not actions.is_available(conversation.inbox):
        return None
    return {"template": "assistant/_composer_tool.html", "conversation": conversation}


def editor_tool(user: Any, campaign: Any) -> dict[str, Any] | None:
    """The campaign editor's draft panel: for the inbox's managers, when available."""
    if not can_manage(user, campaign.inbox) or not actions.is_available(campaign.inbox):
        return None
    return {
        "template": "assistant/_draft_panel.html",
        "campaign": campaign,
        "form": DraftForm.for_campaign(campaign, user),
    }


# --- Starting a request ------------------------------------------------------------------


def _started(request: AuthenticatedRequest, started: AssistantRequest, back: str) -> HttpResponse:
    if is_partial_request(request):
        return _render_request(request, started)
    return redirect(f"{reverse('assistant:request', args=[started.pk])}?back={back}")


def _refused(
    request: AuthenticatedRequest, message: str, *, status: int, back: str
) -> HttpResponse:
    if is_partial_request(request):
        return render_page(
            request, REQUEST_TEMPLATE, {"error": message}, fragment="assistant-error", status=status
        )
    messages.error(request, message)
    return redirect(back)


@require_POST
def campaign_draft(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = access_campaign(request.user, campaign_id, manage=True)
    back = reverse("campaigns:edit", args=[campaign.pk])
    form = DraftForm(request.POST, auto_id="assistant_%s")
    if not form.is_valid():
        problems = [
            f"{form[name].label}: {' '.join(str(e) for e in errors)}"
            if name in form.fields
            else " ".join(str(e) for e in errors)
            for name, errors in form.errors.items()
        ]
        return _refused(request, " ".join(problems), status=422, back=back)
    return _start(
        request,
        back,
        feature=Feature.CAMPAIGN_DRAFT,
        inbox=campaign.inbox,
        payload=form.brief(campaign),
    )


def _start(request: AuthenticatedRequest, back: str, **request_fields: Any) -> HttpResponse:
    """Start an assistant request for this user, or answer why it cannot start."""
    try:
        started = actions.start_request(actor=request.user, **request_fields)
    except ActionRefused as refused:
        return _refused(request, refused.message, status=refused.status, back=back)
    return _started(request, started, back)


@require_POST
def reply_tool(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    back = reverse("inbox:conversation", args=[conversation.pk])
    form = ReplyToolForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            " ".join(
                str(e)
                for e in form.errors.get("__all__", [])
                or [_("Choose what the assistant should do.")]
            ),
            status=422,
            back=back,
        )
    return _start(
        request,
        back,
        feature=Feature.REWRITE,
        inbox=conversation.inbox,
        payload=form.payload(conversation),
    )


@require_POST
def summarise(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    back = reverse("inbox:conversation", args=[conversation.pk])
    return _start(
        request,
        back,
        feature=Feature.SUMMARY,
        inbox=conversation.inbox,
        payload={"conversation_id": conversation.pk},
    )


# --- Following a request -----------------------------------------------------------------


def _render_request(request: AuthenticatedRequest, row: AssistantRequest) -> HttpResponse:
    actions.expire_if_stale(row)
    back = request.GET.get("back", "")
    context = {
        "row": row,
        "finished": row.is_finished,
        "result": jobs.result(row.pk) if row.is_finished else None,
        "progress": jobs.progress(row.pk),
        # Only our own paths: the "Back" link must not lead anywhere else.
        "back": back if back.startswith("/") and not back.startswith("//") else "",
    }
    if row.is_finished and context["result"] is None:
        # The cache lost the answer (Redis down or restarted, or the page came back late):
        # the outcome on the row still says what happened.
        context["result"] = {"error": actions.outcome_message(row.outcome)}
    return render_page(request, REQUEST_TEMPLATE, context, fragment="assistant-request")


@require_GET
def request_status(request: AuthenticatedRequest, assistant_request_id: int) -> HttpResponse:
    """A request's progress or answer: only for the user who made it, while they belong to
    its inbox (404 for anyone else)."""
    return _render_request(request, access_request(request.user, assistant_request_id))


# --- Settings → Message assistant --------------------------------------------------------


@require_admin
def overview(request: AuthenticatedRequest) -> HttpResponse:
    organisation = Organisation.load()
    form = BudgetForm(request.POST or None, instance=organisation)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            changed = actions.set_monthly_budget(
                actor=request.user, tokens=form.cleaned_data["assistant_monthly_tokens"]
            )
            messages.success(request, _("Saved.") if changed else _("Nothing was changed."))
            if not is_partial_request(request):
                return redirect("assistant_settings:overview")
            organisation = Organisation.load()
            form = BudgetForm(instance=organisation)
        else:
            status = 422
    context = {
        "configured": provider.is_configured(),
        "model": provider.model_name(),
        "paused_until": breaker.open_until(),
        "usage": budget.usage_this_month(organisation),
        "form": form,
        "log": list(
            AssistantRequest.objects.select_related("user", "inbox").order_by("-created_at", "-id")[
                :LOG_ROWS
            ]
        ),
    }
    return render_page(
        request, "assistant/settings.html", context, fragment="assistant-budget", status=status
    )
