"""Survey pages (Campaigns → Surveys): the list, a new survey, its results (per period and
agent, with a chart, the comments and a CSV), editing and deleting, and "Send survey" from a
conversation. Members of an inbox read its surveys and results; its managers change them
(surveys.access)."""

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.http import AuthenticatedRequest
from inbox.access import (
    access_conversation,
    access_inbox,
    managed_inboxes,
    manages_any_inbox,
    rights_in,
)
from inbox.models import Membership
from lib.cached import cached
from lib.errors import ActionRefused
from lib.text import spreadsheet_safe
from surveys import results, texts
from surveys.access import access_survey, can_manage, visible_surveys
from surveys.actions import invitations as invitation_actions
from surveys.actions import surveys as actions
from surveys.forms import ResultsFilterForm, SendSurveyForm, SurveyForm
from surveys.models import Survey, SurveyEvent, SurveyKind, SurveyResponse

INDEX = "surveys/index.html"
FORM = "surveys/form.html"
DETAIL = "surveys/detail.html"
DELETE = "surveys/delete.html"
SEND = "surveys/send.html"
SEND_BUTTON = "surveys/_send_button.html"
# The navigation highlights Campaigns: surveys are one of its tabs.
SECTION = {"section": "campaigns"}
DEFAULTS = {"kind": SurveyKind.CSAT, "delay_minutes": 60, "throttle_days": 30, "is_active": True}


def index(request: AuthenticatedRequest) -> HttpResponse:
    """Every survey the user may read; `?inbox=` (Settings → Inboxes → an inbox → Surveys)
    only that inbox's, which the user must work in (404 otherwise)."""
    surveys_of = visible_surveys(request.user).select_related("inbox")
    inbox = None
    if "inbox" in request.GET:
        inbox_id = request.GET["inbox"]
        valid = inbox_id.isdigit() and len(inbox_id) < 12
        inbox = access_inbox(request.user, int(inbox_id)) if valid else None
        if inbox is None:
            raise Http404
        surveys_of = surveys_of.filter(inbox=inbox)
    surveys = list(surveys_of.order_by("inbox__name", "name", "id"))
    since, _until = results.period_bounds(results.DEFAULT_PERIOD)
    figures = results.overview(surveys, since) if surveys else {}
    for survey in surveys:
        survey.overview = figures.get(survey.pk, {"answers": 0, "figure": None})  # type: ignore[attr-defined]
    context = {
        **SECTION,
        "surveys": surveys,
        "inbox": inbox,
        "can_create": can_manage(request.user, inbox) if inbox else manages_any_inbox(request.user),
    }
    return render(request, INDEX, context)


def _render_form(
    request: AuthenticatedRequest, form: SurveyForm, survey: Survey | None = None
) -> HttpResponse:
    context = {**SECTION, "form": form, "survey": survey, "languages": texts.LANGUAGES}
    return render(request, FORM, context, status=422 if form.errors else 200)


def new(request: AuthenticatedRequest) -> HttpResponse:
    if not manages_any_inbox(request.user):
        raise PermissionDenied
    inboxes = managed_inboxes(request.user).order_by("name")
    initial = {**DEFAULTS, "name": _("Customer satisfaction")}
    if request.GET.get("inbox", "").isdigit():  # from an inbox's survey list
        initial["inbox"] = int(request.GET["inbox"])
    form = SurveyForm(
        request.POST if request.method == "POST" else None, inboxes=inboxes, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        survey = actions.create_survey(
            inbox=form.cleaned_data["inbox"], actor=request.user, **form.survey_fields()
        )
        messages.success(request, _("The survey “%(name)s” is saved.") % {"name": survey})
        return redirect("surveys:detail", survey.pk)
    return _render_form(request, form)


def edit(request: AuthenticatedRequest, survey_id: int) -> HttpResponse:
    survey = access_survey(request.user, survey_id, manage=True)
    inboxes = managed_inboxes(request.user).filter(pk=survey.inbox_id)
    form = SurveyForm(
        request.POST if request.method == "POST" else None,
        inboxes=inboxes,
        initial=SurveyForm.initial_for(survey),
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.update_survey(survey, actor=request.user, **form.survey_fields())
        except ActionRefused as refused:
            form.add_error("kind", refused.message)
            return _render_form(request, form, survey)
        message = _("The survey “%(name)s” is saved.") if changed else _("Nothing changed.")
        messages.success(request, message % {"name": survey})
        return redirect("surveys:detail", survey.pk)
    return _render_form(request, form, survey)


def delete(request: AuthenticatedRequest, survey_id: int) -> HttpResponse:
    survey = access_survey(request.user, survey_id, manage=True)
    if request.method == "POST":
        try:
            actions.delete_survey(survey, actor=request.user)
        except ActionRefused as refused:
            messages.error(request, refused.message)
            return redirect("surveys:detail", survey.pk)
        messages.success(request, _("The survey “%(name)s” is deleted.") % {"name": survey})
        return redirect("surveys:index")
    in_use = survey.invitations.exists()
    return render(request, DELETE, {**SECTION, "survey": survey, "in_use": in_use})


def _filters(request: AuthenticatedRequest) -> tuple[ResultsFilterForm, str, int | None]:
    form = ResultsFilterForm(request.GET)
    period = form.period_value()
    agent = form.cleaned_data.get("agent") if form.is_valid() else None
    return form, period, agent


def detail(request: AuthenticatedRequest, survey_id: int) -> HttpResponse:
    survey = access_survey(request.user, survey_id)
    form, period, agent_id = _filters(request)
    since, until = results.period_bounds(period)
    found = results.results_for(survey, since=since, until=until, agent_id=agent_id)
    agent_name = next((a["name"] for a in found.agents if a["agent_id"] == agent_id), "")
    context = {
        **SECTION,
        "survey": survey,
        "results": found,
        "form": form,
        "period": period,
        "agent_id": agent_id,
        "agent_name": agent_name,
        "can_manage": can_manage(request.user, survey.inbox),
        "chart_width": results.CHART_WIDTH,
        "chart_height": results.CHART_HEIGHT,
        "periods": form.fields["period"].choices,  # type: ignore[attr-defined]
    }
    return render(request, DETAIL, context)


CSV_HEADER = [
    "answered_at",
    "changed_at",
    "score",
    "comment",
    "source",
    "channel",
    "agent",
    "contact_id",
    "conversation",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def export(request: AuthenticatedRequest, survey_id: int) -> StreamingHttpResponse:
    """The survey's answers of the chosen period (and agent) as CSV, formula-safe cells."""
    survey = access_survey(request.user, survey_id)
    _form, period, agent_id = _filters(request)
    since, until = results.period_bounds(period)
    rows = SurveyResponse.objects.filter(
        survey=survey, answered_at__gte=since, answered_at__lt=until
    )
    if agent_id is not None:
        rows = rows.filter(agent_id=agent_id)
    rows = rows.select_related("agent", "invitation__conversation").order_by("answered_at", "id")
    SurveyEvent.objects.record(
        survey, SurveyEvent.Kind.EXPORTED, actor=request.user, period=period, agent=agent_id
    )
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(CSV_HEADER)
        for response in rows.iterator(chunk_size=2000):
            conversation = response.invitation.conversation
            yield writer.writerow(
                spreadsheet_safe(cell)
                for cell in (
                    response.answered_at.isoformat(),
                    response.changed_at.isoformat() if response.changed_at else "",
                    response.score,
                    response.comment,
                    response.source,
                    response.invitation.channel,
                    response.agent.display_name if response.agent else "",
                    response.contact_id or "",
                    conversation.number if conversation else "",
                )
            )

    answer = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-{period}d.csv"'
    return answer


def send(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    """ "Send survey" from a conversation: GET asks which survey (a confirmation), POST sends."""
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    rights = rights_in(request.user, conversation)
    surveys = Survey.objects.active().filter(inbox_id=conversation.inbox_id).order_by("name", "id")
    form = SendSurveyForm(request.POST if request.method == "POST" else None, surveys=surveys)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation_actions.invite_by_hand(
                    conversation, survey=form.cleaned_data["survey"], actor=request.user
                )
            except ActionRefused as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(request, _("The survey is on its way."))
                return redirect("inbox:conversation", conversation_id=conversation.pk)
        status = 422
    context = {
        **{"section": "inbox"},
        "conversation": conversation,
        "form": form,
        "rights": rights,
        "has_surveys": surveys.exists(),
    }
    return render(request, SEND, context, status=status)


def active_inbox_ids() -> set[int]:
    """Inboxes with an active survey, cached between requests (dropped when one changes)."""
    return cached(
        actions.ACTIVE_INBOXES_KEY,
        lambda: set(Survey.objects.active().values_list("inbox_id", flat=True).distinct()),
    )


def composer_tool(user: Any, conversation: Any) -> dict[str, Any] | None:
    """The composer's "Survey" button, for members of an inbox with an active survey."""
    if Membership.objects.scope_for(user).role_in(conversation.inbox_id) is None:
        return None
    if conversation.inbox_id not in active_inbox_ids():
        return None
    return {"template": SEND_BUTTON, "conversation": conversation}


def inbox_settings_link(user: Any, inbox: Any) -> dict[str, Any] | None:
    """ "Surveys" on the inbox's settings page (its managers'): the inbox's surveys."""
    url = reverse("surveys:index") + f"?inbox={inbox.pk}"
    return {"name": "surveys", "label": _("Surveys"), "url": url}
