"""Settings → Inboxes → an inbox → Campaigns: the company-name prefix, opt-out handling and its
confirmation, the confirmation and help texts per language, the message assistant switch,
the sending rate per channel, and the keyword lists.

Managers of the inbox and admins only: every URL loads the inbox with
inbox.access.access_inbox(manage=True) — 404 for an inbox the user is not in, 403 for a
member who does not manage it. Each form is a plain POST that redirects back to its section;
an htmx request gets the section itself (with the toast added by the middleware), and a
form with errors comes back with them (422).
"""

from typing import Any

from django.conf import settings as django_settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import Organisation
from campaigns.actions import settings as actions
from campaigns.forms import LANGUAGE_LABELS, KeywordForm, RatesForm, SwitchesForm, TextsForm
from campaigns.models import CampaignSettings, KeywordAction, OptOutKeyword
from inbox.access import access_inbox
from inbox.models import Inbox
from lib.errors import ActionRefused
from lib.htmx import is_partial_request, render_page

TEMPLATE = "campaigns/settings/inbox_campaigns.html"


def inbox_campaigns(request: AuthenticatedRequest, inbox_id: int) -> HttpResponse:
    """The page; a POST saves the switches."""
    inbox = access_inbox(request.user, inbox_id, manage=True)
    if request.method != "POST":
        return render_page(request, TEMPLATE, _context(inbox))
    form = SwitchesForm(request.POST)
    form.is_valid()  # booleans: always valid
    values = dict(form.cleaned_data)
    if not request.POST.get("assistant_masks_shown"):
        # A form that did not show the masking switch leaves it as it is (an unchecked box
        # and a missing one look the same in a POST).
        values["assistant_masks_personal_data"] = None
    changed = actions.update_switches(inbox, actor=request.user, **values)
    messages.success(request, _("Saved.") if changed else _("Nothing was changed."))
    return _section(request, inbox, "campaign-switches")


@require_POST
def inbox_campaign_texts(request: AuthenticatedRequest, inbox_id: int) -> HttpResponse:
    inbox = access_inbox(request.user, inbox_id, manage=True)
    settings = CampaignSettings.objects.for_inbox(inbox)
    form = TextsForm(request.POST, settings=settings)
    if form.is_valid():
        try:
            changed = actions.update_texts(
                inbox,
                actor=request.user,
                confirmation_texts=form.texts("confirmation"),
                help_texts=form.texts("help"),
            )
        except ValidationError as invalid:
            _add_errors(form, invalid)
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing was changed."))
            return _section(request, inbox, "campaign-texts")
    return _section(request, inbox, "campaign-texts", texts_form=form)


@require_POST
def inbox_campaign_rates(request: AuthenticatedRequest, inbox_id: int) -> HttpResponse:
    inbox = access_inbox(request.user, inbox_id, manage=True)
    settings = CampaignSettings.objects.for_inbox(inbox)
    form = RatesForm(request.POST, settings=settings)
    if form.is_valid():
        try:
            changed = actions.update_rates(inbox, actor=request.user, rates=form.cleaned_data)
        except ValidationError as invalid:
            _add_errors(form, invalid)
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing was changed."))
            return _section(request, inbox, "campaign-rates")
    return _section(request, inbox, "campaign-rates", rates_form=form)


@require_POST
def inbox_keyword_add(request: AuthenticatedRequest, inbox_id: int) -> HttpResponse:
    inbox = access_inbox(request.user, inbox_id, manage=True)
    form = KeywordForm(request.POST)
    if form.is_valid():
        try:
            keyword = actions.add_keyword(inbox, actor=request.user, **form.cleaned_data)
        except ValidationError as invalid:
            _add_errors(form, invalid)
        except ActionRefused as refused:
            form.add_error("keyword", refused.message)
        else:
            messages.success(
                request,
                _("“%(keyword)s” is added (%(language)s).")
                % {"keyword": keyword.keyword, "language": LANGUAGE_LABELS[keyword.language]},
            )
            return _section(request, inbox, "campaign-keywords")
    return _section(request, inbox, "campaign-keywords", keyword_form=form)


@require_POST
def inbox_keyword_remove(
    request: AuthenticatedRequest, inbox_id: int, keyword_id: int
) -> HttpResponse:
    inbox = access_inbox(request.user, inbox_id, manage=True)
    keyword = get_object_or_404(
        OptOutKeyword.objects.select_related("inbox"), inbox=inbox, pk=keyword_id
    )
    try:
        actions.remove_keyword(keyword, actor=request.user)
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return _section(request, inbox, "campaign-keywords", status=refused.status)
    messages.success(request, _("“%(keyword)s” is removed.") % {"keyword": keyword.keyword})
    return _section(request, inbox, "campaign-keywords")


def _add_errors(form: Any, invalid: ValidationError) -> None:
    for key, errors in invalid.message_dict.items():
        form.add_error(key if key in form.fields else None, errors)


def _section(
    request: AuthenticatedRequest,
    inbox: Inbox,
    section: str,
    *,
    status: int | None = None,
    **forms: Any,
) -> HttpResponse:
    """After a POST: the section again for htmx, or with a form's errors (422); a redirect
    to the section otherwise."""
    status = status or (422 if forms else 200)
    if is_partial_request(request) or status != 200:
        return render_page(
            request, TEMPLATE, _context(inbox, **forms), fragment=section, status=status
        )
    url = reverse("campaign_settings:inbox_campaigns", args=[inbox.pk])
    return redirect(f"{url}#{section}")


def _context(inbox: Inbox, **forms: Any) -> dict[str, Any]:
    settings = CampaignSettings.objects.for_inbox(inbox)
    keywords = list(OptOutKeyword.objects.filter(inbox=inbox).order_by("keyword", "id"))
    # Per action, per language: the words of that list.
    lists = [
        (
            action,
            label,
            [
                (name, [k for k in keywords if k.action == action and k.language == code])
                for code, name in LANGUAGE_LABELS.items()
            ],
        )
        for action, label in KeywordAction.choices
    ]
    company = Organisation.load().name
    return {
        "inbox": inbox,
        "settings": settings,
        "company_name": company,
        "prefix_preview": f"{company}: …",
        # Without a model the switch can be set, but the settings say why nothing appears.
        "assistant_configured": bool(django_settings.LLM_BASE_URL),
        "switches_form": forms.get("switches_form") or SwitchesForm.for_settings(settings),
        "texts_form": forms.get("texts_form") or TextsForm(settings=settings),
        "rates_form": forms.get("rates_form") or RatesForm(settings=settings),
        "keyword_form": forms.get("keyword_form") or KeywordForm(),
        "keyword_lists": lists,
        "variable_examples": [
            "{{ account.company_name }}",
            '{{ contact.first_name | default: "…" }}',
        ],
    }
