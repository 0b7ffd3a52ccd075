"""The campaign editor: message, audience and schedule on one page, with a live preview
(count, the first recipients with their messages, segments, the forecast), a test send, and
the launch with its confirmation. Members see campaigns read-only (the report); the editor
is for the inbox's managers."""

from copy import copy
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from campaigns import audience, content, delivery, preview, report
from campaigns.access import access_campaign
from campaigns.actions import campaigns as actions
from campaigns.campaign_forms import WEEKDAYS, CampaignForm, TestSendForm, initial_for
from campaigns.editor_tools import editor_tools
from campaigns.models import Template
from campaigns.notice import needs_notice, with_notice
from contacts.models import MIN_SEARCH_LENGTH, Contact
from inbox.channels import DeliveryError
from inbox.variables import variables_menu
from lib.errors import ActionRefused
from lib.forms import SearchForm
from lib.htmx import render_page


def _draft(campaign: Any, form: CampaignForm) -> Any:
    """The campaign as the form would leave it, unsaved (for the preview)."""
    draft = copy(campaign)
    if form.is_valid():
        for field, value in form.values().items():
            setattr(draft, field, value)
    draft.prefix = actions.company_prefix(campaign.inbox)
    return draft


def _variables(campaign: Any) -> list[Any]:
    """The Variables menu, with the campaign type's own (a survey campaign's link)."""
    own = content.menu_group(campaign.type)
    return [*variables_menu(), own] if own is not None else variables_menu()


def _preview_context(campaign: Any, *, after: int = 0, selected: int | None = None) -> Any:
    try:
        size = preview.audience_size(campaign)
        shown = preview.samples(campaign, after=after)
        problem = ""
    except ValidationError as exc:
        size, shown, problem = 0, [], " ".join(exc.messages)
    current = next((s for s in shown if s.contact.pk == selected), shown[0] if shown else None)
    index = shown.index(current) if current in shown else 0
    sendable = [s for s in shown if not s.skip_reason]
    segments = (
        sum(s.segments.segments for s in sendable if s.segments) / len(sendable)
        if sendable and campaign.channel == "sms"
        else 1.0
    )
    rate = delivery.effective_rate(campaign)
    share = len(sendable) / len(shown) if shown else 0
    return {
        "audience_size": size,
        "samples": shown,
        "current": current,
        "previous_sample": shown[index - 1] if current and index > 0 else None,
        "next_sample": shown[index + 1] if current and index + 1 < len(shown) else None,
        "next_after": shown[-1].contact.pk if len(shown) == preview.PAGE else None,
        "forecast": report.forecast(
            campaign, recipients=round(size * share), segments=segments, rate=rate
        ),
        "segments": segments,
        "problems": [problem] if problem else actions.launch_problems(campaign),
    }


def _editor(
    request: AuthenticatedRequest,
    campaign: Any,
    form: CampaignForm,
    *,
    status: int = 200,
    add_rule: bool = False,
) -> HttpResponse:
    draft = _draft(campaign, form) if form.is_bound else campaign
    if not form.is_bound:
        draft = copy(campaign)
        draft.prefix = actions.company_prefix(campaign.inbox)
    rules = form.rules if form.is_bound else list((campaign.audience or {}).get("rules", []))
    if add_rule or (form.is_bound and request.POST.get("add_rule")):
        rules = [*rules, {"field": "", "op": "", "value": ""}]
    if not rules:
        rules = [{"field": "", "op": "", "value": ""}]
    form.fields["body"].widget.attrs["data-segments-prefix"] = draft.prefix
    # The objection notice a marketing SMS gets when it names no opt-out keyword is counted
    # too (as saved; the preview shows each recipient's own).
    if needs_notice(draft):
        noticed = with_notice(draft.body, campaign=draft, contact=None)
        if noticed != draft.body:
            form.fields["body"].widget.attrs["data-segments-suffix"] = noticed[len(draft.body) :]
    picked_ids = list((draft.audience or {}).get("include", {}).get("contacts", []))
    context = {
        "picked": list(
            Contact.objects.visible_to(request.user).filter(pk__in=picked_ids).order_by("pk")
        ),
        "campaign": campaign,
        "draft": draft,
        "form": form,
        "rules": rules,
        "fields": audience.fields(),
        "operators": audience.OPERATORS,
        "weekdays": WEEKDAYS,
        "variables": _variables(draft),
        "editor_tools": editor_tools(request.user, campaign),
        "templates": list(form.fields["template"].queryset[:100]),  # type: ignore[attr-defined]
        "test_form": TestSendForm(
            channel=campaign.channel,
            initial={"to": request.user.email if campaign.channel == "email" else ""},
        ),
        **_preview_context(draft),
    }
    return render_page(request, "campaigns/edit.html", context, status=status)


def edit(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = access_campaign(request.user, campaign_id, manage=True)
    if not campaign.is_editable:
        return redirect("campaigns:detail", campaign.pk)
    if request.method != "POST":
        return _editor(
            request, campaign, CampaignForm(initial=initial_for(campaign), campaign=campaign)
        )
    form = CampaignForm(request.POST, request.FILES, campaign=campaign)
    if request.POST.get("use_template") and request.POST.get("template", "").isdigit():
        template = (
            Template.objects.usable_in(campaign.inbox_id)
            .filter(pk=int(request.POST["template"]))
            .first()
        )
        if template is not None:
            data = request.POST.copy()
            data["body"] = template.body
            data["subject"] = template.subject or data.get("subject", "")
            form = CampaignForm(data, request.FILES, campaign=campaign)
    if not form.is_valid():
        return _editor(request, campaign, form, status=422)
    try:
        actions.update_campaign(campaign, actor=request.user, values=form.values())
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("campaigns:detail", campaign.pk)
    campaign.refresh_from_db()
    stays = ("add_rule", "remove_rule", "use_template", "include_contact", "remove_contact")
    if any(request.POST.get(name) for name in stays):
        # Saved, and the editor again: with a new empty rule row when one was asked for.
        fresh = CampaignForm(initial=initial_for(campaign), campaign=campaign)
        return _editor(request, campaign, fresh, add_rule=bool(request.POST.get("add_rule")))
    if request.POST.get("launch"):
        return redirect("campaigns:launch", campaign.pk)
    if request.POST.get("send_test"):
        _send_test(request, campaign, request.POST.get("test_to", ""))
        return redirect("campaigns:edit", campaign.pk)
    messages.success(request, _("Saved."))
    return redirect("campaigns:edit", campaign.pk)


def contact_search(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    """Contacts to pick for the include list (name, company, phone or e-mail; at least three
    characters), each with an "Add" button of the editor's form."""
    campaign = access_campaign(request.user, campaign_id, manage=True)
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    found = (
        list(Contact.objects.visible_to(request.user).search(query).order_by("pk")[:10])
        if len(query) >= MIN_SEARCH_LENGTH
        else []
    )
    context = {"campaign": campaign, "found": found, "query": query}
    # The fragment only: its "Add" buttons belong to the editor's form (the page's search box
    # asks for it with htmx; pasting numbers and addresses works without JavaScript).
    return render(request, "campaigns/edit.html#contact-picks", context)


@require_POST
def preview_fragment(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    """The live preview for the editor's current (unsaved) values."""
    campaign = access_campaign(request.user, campaign_id, manage=True)
    form = CampaignForm(request.POST, campaign=campaign)
    draft = _draft(campaign, form)
    after = (
        int(request.POST.get("after", "0") or 0) if request.POST.get("after", "").isdigit() else 0
    )
    selected = request.POST.get("show", "")
    context = {
        "campaign": campaign,
        "draft": draft,
        "form_errors": form.errors if form.is_bound and not form.is_valid() else {},
        **_preview_context(
            draft, after=after, selected=int(selected) if selected.isdigit() else None
        ),
    }
    return render_page(request, "campaigns/edit.html", context, fragment="campaign-preview")


@require_POST
def test_send(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = access_campaign(request.user, campaign_id, manage=True)
    _send_test(request, campaign, request.POST.get("to", ""))
    return redirect("campaigns:edit", campaign.pk)


def _send_test(request: AuthenticatedRequest, campaign: Any, to: str) -> None:
    """The saved campaign, rendered for its first recipient, to the manager only."""
    form = TestSendForm({"to": to}, channel=campaign.channel)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("to", [])))
        return
    draft = copy(campaign)
    draft.prefix = actions.company_prefix(campaign.inbox)
    shown = preview.samples(draft, limit=1)
    sample = shown[0] if shown else None
    if sample is None or sample.error:
        messages.error(
            request,
            sample.error if sample else _("Add recipients first: the test uses the first one."),
        )
        return
    try:
        actions.send_test(
            campaign,
            actor=request.user,
            to=form.cleaned_data["to"],
            body=sample.body,
            subject=sample.subject,
        )
    except (DeliveryError, ValidationError) as exc:
        reason = getattr(exc, "reason", "") or " ".join(getattr(exc, "messages", []))
        messages.error(request, _("The test was not sent: %(reason)s") % {"reason": reason})
        return
    messages.success(
        request,
        _("Test sent to %(to)s, as %(name)s would get it.")
        % {"to": form.cleaned_data["to"], "name": sample.contact},
    )


def launch(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    """GET: the confirmation (who, how many, how long); POST: send now or schedule."""
    campaign = access_campaign(request.user, campaign_id, manage=True)
    if not campaign.is_editable:
        return redirect("campaigns:detail", campaign.pk)
    draft = copy(campaign)
    draft.prefix = actions.company_prefix(campaign.inbox)
    context = {
        "campaign": campaign,
        "draft": draft,
        "content": content.described(campaign),
        **_preview_context(draft),
    }
    if request.method != "POST":
        return render_page(request, "campaigns/launch.html", context)
    try:
        actions.launch_campaign(campaign, actor=request.user, at=campaign.scheduled_at)
    except ValidationError as exc:
        context["problems"] = exc.messages
        return render_page(request, "campaigns/launch.html", context, status=422)
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("campaigns:detail", campaign.pk)
    campaign.refresh_from_db()
    if campaign.scheduled_at and campaign.status == "scheduled":
        messages.success(request, _("Scheduled. It starts at the time you chose."))
    else:
        messages.success(request, _("Launched. The report shows its progress."))
    return redirect("campaigns:detail", campaign.pk)


@require_POST
def unschedule(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = access_campaign(request.user, campaign_id, manage=True)
    actions.unschedule_campaign(campaign, actor=request.user)
    messages.success(request, _("Back to draft; it will not start on its own."))
    return redirect("campaigns:edit", campaign.pk)
