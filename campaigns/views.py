"""Campaign pages: the list, a new campaign, the report (live while it sends) with its
recipients and their CSV, and pause, resume and cancel. The editor is in editor_views."""

import csv
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from campaigns import content, delivery, report
from campaigns.access import access_campaign, can_manage, visible_campaigns
from campaigns.actions import campaigns as actions
from campaigns.campaign_forms import NewCampaignForm, RecipientFilterForm
from campaigns.models import CampaignRecipient, CampaignStatus, RecipientStatus
from inbox.access import managed_inboxes, manages_any_inbox
from lib.errors import refusals_answered_by
from lib.htmx import is_partial_request, render_page
from lib.replica import replica_rows
from lib.text import spreadsheet_safe

LIST_LIMIT = 100
RECIPIENTS_PAGE = 50
LIVE = {CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED}
STATUS_TABS = [
    ("", gettext_lazy("All")),
    ("draft", gettext_lazy("Drafts")),
    ("scheduled", gettext_lazy("Scheduled")),
    ("sending", gettext_lazy("Sending")),
    ("finished", gettext_lazy("Finished")),
]


def index(request: AuthenticatedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    campaigns = visible_campaigns(request.user).select_related("inbox")
    if status == "finished":
        campaigns = campaigns.filter(
            status__in=[CampaignStatus.COMPLETED, CampaignStatus.CANCELLED]
        )
    elif status == "sending":
        campaigns = campaigns.filter(status__in=[CampaignStatus.SENDING, CampaignStatus.PAUSED])
    elif status in CampaignStatus.values:
        campaigns = campaigns.filter(status=status)
    else:
        status = ""
    rows = list(campaigns.order_by("-created_at", "-id")[: LIST_LIMIT + 1])
    return render(
        request,
        "campaigns/index.html",
        {
            "campaigns": rows[:LIST_LIMIT],
            "more": len(rows) > LIST_LIMIT,
            "status": status,
            "tabs": STATUS_TABS,
            "can_create": manages_any_inbox(request.user),
        },
    )


def new(request: AuthenticatedRequest) -> HttpResponse:
    inboxes = managed_inboxes(request.user).filter(channels__isnull=False).distinct()
    if not manages_any_inbox(request.user):
        return render(request, "403.html", status=403)
    # "Survey campaign" on a survey's page comes here with its inbox, type and survey.
    initial = {key: request.GET[key] for key in ("inbox", "type") if key in request.GET}
    if request.GET.get("content", "").isdigit():  # hidden: a bad value would fail unseen
        initial["content"] = request.GET["content"]
    form = NewCampaignForm(request.POST or None, inboxes=inboxes, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = actions.create_campaign(
                inbox=data["inbox"],
                actor=request.user,
                name=data["name"],
                channel=data["channel"],
                type=data["type"],
                content_id=data.get("content"),
            )
        except ValidationError as exc:  # the inbox has no number or address there
            form.add_error("channel", " ".join(exc.messages))
        else:
            return redirect("campaigns:edit", campaign.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "has_inboxes": inboxes.exists()}
    return render(request, "campaigns/new.html", context, status=status)


def _report_context(request: AuthenticatedRequest, campaign: Any) -> dict[str, Any]:
    found = report.counts(campaign)
    rate = delivery.effective_rate(campaign)
    return {
        "campaign": campaign,
        "counts": found,
        "breakdown": report.for_template(campaign, found),
        "time_left": report.time_left(campaign, found, rate),
        "took": report.duration_text(took.total_seconds())
        if (took := report.finished_in(campaign))
        else "",
        "rate": rate,
        "live": campaign.status in LIVE,
        "content": content.described(campaign),
        "can_manage": can_manage(request.user, campaign.inbox),
    }


def _recipients(request: AuthenticatedRequest, campaign: Any) -> dict[str, Any]:
    form = RecipientFilterForm(request.GET)
    form.is_valid()
    status = form.cleaned_data.get("status") or ""
    after = form.cleaned_data.get("after") or 0
    # Start at the campaign's first row: ordered by id, PostgreSQL would otherwise walk the
    # primary key past every earlier campaign's rows (13 ms behind one of 100,000).
    after = max(after, (campaign.first_recipient_id or 1) - 1)
    rows = CampaignRecipient.objects.filter(campaign=campaign, pk__gt=after).select_related(
        "contact"
    )
    if status:
        rows = rows.filter(status=status)
    page = list(rows.order_by("pk")[: RECIPIENTS_PAGE + 1])
    return {
        "recipients": page[:RECIPIENTS_PAGE],
        "next_after": page[RECIPIENTS_PAGE - 1].pk if len(page) > RECIPIENTS_PAGE else None,
        "recipient_status": status,
        "recipient_statuses": RecipientStatus.choices,
    }


def detail(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = access_campaign(request.user, campaign_id)
    if settings.CAMPAIGN_TICK_IN_REQUESTS and campaign.status in LIVE:
        # Without a broker (make run on SQLite) there is no beat: the open report paces.
        delivery.tick()
        campaign.refresh_from_db()
    if is_partial_request(request):  # the live poll redraws the progress only
        context = _report_context(request, campaign)
        return render(request, "campaigns/detail.html#campaign-report", context)
    context = _report_context(request, campaign) | _recipients(request, campaign)
    context["events"] = list(campaign.events.select_related("actor")[:20])
    return render(request, "campaigns/detail.html", context)


def recipients(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = access_campaign(request.user, campaign_id)
    context = {"campaign": campaign} | _recipients(request, campaign)
    return render_page(request, "campaigns/detail.html", context, fragment="campaign-recipients")


def _csv_rows(campaign: Any) -> Iterator[list[str]]:
    yield [
        _("Recipient"),
        _("Address"),
        _("Status"),
        _("Skip reason"),
        _("Error code"),
        _("Segments"),
        _("Sent"),
        _("Delivered"),
        _("Replied"),
        _("Opted out"),
        _("Clicked"),
    ]
    last = 0
    while True:
        chunk = list(
            CampaignRecipient.objects.filter(campaign=campaign, pk__gt=last)
            .select_related("contact")
            .order_by("pk")[:2000]
        )
        if not chunk:
            return
        last = chunk[-1].pk
        for r in chunk:
            yield [
                spreadsheet_safe(str(r.contact)),
                spreadsheet_safe(r.address),
                r.get_status_display(),
                r.get_skip_reason_display() if r.skip_reason else "",
                spreadsheet_safe(r.error_code),
                str(r.segments),
                _iso(r.sent_at),
                _iso(r.delivered_at),
                _iso(r.replied_at),
                _iso(r.opted_out_at),
                _iso(r.clicked_at),
            ]


def _iso(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value else ""


class _Echo:
    def write(self, value: str) -> str:
        return value


def export(request: AuthenticatedRequest, campaign_id: int) -> StreamingHttpResponse:
    campaign = access_campaign(request.user, campaign_id)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in replica_rows(_csv_rows(campaign))),
        content_type="text/csv",
    )
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}.csv"'
    return response


def _back(request: AuthenticatedRequest, campaign_id: int, *, status: int = 200) -> HttpResponse:
    campaign = access_campaign(request.user, campaign_id)
    context = _report_context(request, campaign) | _recipients(request, campaign)
    return render_page(
        request, "campaigns/detail.html", context, fragment="campaign-report", status=status
    )


def _change(action: Any, done: Any) -> Any:
    @require_POST
    @refusals_answered_by(_back)
    def view(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
        campaign = access_campaign(request.user, campaign_id, manage=True)
        action(campaign, actor=request.user)
        messages.success(request, str(done) % {"name": campaign.name})
        return redirect("campaigns:detail", campaign.pk)

    return view


pause = _change(actions.pause_campaign, gettext_lazy("Paused %(name)s."))
resume = _change(actions.resume_campaign, gettext_lazy("%(name)s sends again."))
cancel = _change(
    actions.cancel_campaign, gettext_lazy("Cancelled %(name)s; nothing more goes out.")
)
