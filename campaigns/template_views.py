"""Templates (seed 003: managers manage templates): the list, the editor, deleting, and the
picker that puts a saved text into the composer as a canned reply.

Members of an inbox see its templates and the organisation's, read-only; its managers
write its templates; admins write every template, organisation ones included
(campaigns.template_access). The picker serves the composer of a conversation the user may
answer in, with the templates of that conversation's inbox and channel.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Q, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.http import AuthenticatedRequest
from campaigns.actions import templates as actions
from campaigns.models import Template
from campaigns.template_access import (
    access_template,
    can_create_templates,
    can_write_templates,
    template_inboxes,
    visible_templates,
)
from campaigns.template_forms import TemplateFilterForm, TemplateForm
from inbox.access import access_conversation
from inbox.models import Channel, Conversation, Membership
from inbox.variables import variables_menu
from lib.errors import ActionRefused
from lib.forms import chosen_id, search_query
from lib.htmx import is_partial_request, render_page
from lib.pagination import InvalidCursor, paginate

INDEX = "campaigns/templates/index.html"
FORM = "campaigns/templates/form.html"
DETAIL = "campaigns/templates/detail.html"
DELETE = "campaigns/templates/delete.html"
PICKER = "campaigns/templates/picker.html"
# The composer's "Templates" button, for the inbox's composer to include (see composer_tool).
PICKER_BUTTON = "campaigns/_template_picker_button.html"

TEMPLATES_PER_PAGE = 50
PICKED_AT_MOST = 30
ORGANISATION = "all"  # the inbox filter's value for organisation templates


def index(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = TemplateFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    templates = visible_templates(user).select_related("inbox")
    inbox = filters.get("inbox", "")
    if inbox == ORGANISATION:
        templates = templates.filter(inbox__isnull=True)
    elif inbox.isdigit():
        templates = templates.filter(inbox_id=int(inbox))
    if filters.get("channel"):
        # Templates for any channel are usable on this one too.
        templates = templates.filter(Q(channel=filters["channel"]) | Q(channel=""))
    if filters.get("language"):
        templates = templates.filter(language=filters["language"])
    if filters.get("q"):
        templates = templates.filter(name__icontains=filters["q"])
    try:
        page = paginate(
            templates,
            ordering=("name", "id"),
            cursor=request.GET.get("after"),
            per_page=TEMPLATES_PER_PAGE,
        )
    except InvalidCursor as exc:
        raise Http404 from exc
    scope = Membership.objects.scope_for(user)
    labelled(page.items)
    context = {
        "form": form,
        "page": page,
        "filtered": bool(filters),
        "inboxes": [i for i in scope.inboxes if scope.role_in(i.pk) is not None],
        "organisation": ORGANISATION,
        "can_create": can_create_templates(user),
        "writable": {t.pk for t in page.items if can_write_templates(user, t.inbox_id)},
    }
    fragment = "template-rows" if request.GET.get("after") else "template-results"
    return render_page(request, INDEX, context, fragment=fragment)


def labelled(templates: list[Template]) -> list[Template]:
    """Give each template its `channel_label` ("" for any channel): the model's channel is a
    plain field, as "any" is not one of the inbox's channels."""
    labels = dict(Channel.choices)
    for template in templates:
        template.channel_label = labels.get(template.channel, template.channel)  # type: ignore[attr-defined]
    return templates


def _editor(request: AuthenticatedRequest, **kwargs: Any) -> TemplateForm:
    return TemplateForm(
        request.POST if request.method == "POST" else None,
        inboxes=template_inboxes(request.user),
        organisation_wide=request.user.is_admin,
        **kwargs,
    )


def _render_editor(
    request: AuthenticatedRequest, form: TemplateForm, template: Template | None = None
) -> HttpResponse:
    context = {"form": form, "template": template, "variables_menu": variables_menu()}
    return render(request, FORM, context, status=422 if form.errors else 200)


def create(request: AuthenticatedRequest) -> HttpResponse:
    if not can_create_templates(request.user):
        raise PermissionDenied
    initial = {"language": get_language(), "inbox": chosen_id(request.GET, "inbox")}
    form = _editor(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        template = actions.create_template(actor=request.user, **form.cleaned_data)
        messages.success(request, _("The template “%(name)s” is saved.") % {"name": template})
        return redirect("campaign_templates:index")
    return _render_editor(request, form)


def detail(request: AuthenticatedRequest, template_id: int) -> HttpResponse:
    template = access_template(request.user, template_id)
    can_write = can_write_templates(request.user, template.inbox_id)
    labelled([template])
    return render(request, DETAIL, {"template": template, "can_write": can_write})


def edit(request: AuthenticatedRequest, template_id: int) -> HttpResponse:
    template = access_template(request.user, template_id, for_write=True)
    form = TemplateForm.for_template(
        template,
        request.POST if request.method == "POST" else None,
        inboxes=template_inboxes(request.user),
        organisation_wide=request.user.is_admin,
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.update_template(template, actor=request.user, **form.cleaned_data)
        except ActionRefused as refused:
            form.add_error(None, refused.message)
            context = {"form": form, "template": template, "variables_menu": variables_menu()}
            return render(request, FORM, context, status=refused.status)
        message = _("The template “%(name)s” is saved.") if changed else _("Nothing changed.")
        messages.success(request, message % {"name": template})
        return redirect("campaign_templates:index")
    return _render_editor(request, form, template)


def delete(request: AuthenticatedRequest, template_id: int) -> HttpResponse:
    template = access_template(request.user, template_id, for_write=True)
    if request.method == "POST":
        actions.delete_template(template, actor=request.user)
        messages.success(request, _("The template “%(name)s” is deleted.") % {"name": template})
        return redirect("campaign_templates:index")
    return render(request, DELETE, {"template": template})


def usable_templates(conversation: Conversation, query: str) -> list[Template]:
    """The templates an agent may insert in this conversation: its inbox's and the
    organisation's, for its channel or any, those in the user's language first."""
    templates = Template.objects.usable_in(conversation.inbox_id).filter(
        Q(channel=conversation.channel) | Q(channel="")
    )
    if query:
        templates = templates.filter(Q(name__icontains=query) | Q(body__icontains=query))
    mine_first = Case(When(language=get_language(), then=0), default=1)
    return list(templates.order_by(mine_first, "name", "id")[: PICKED_AT_MOST + 1])


def pick(request: AuthenticatedRequest) -> HttpResponse:
    conversation_id = chosen_id(request.GET, "conversation")
    if conversation_id is None:
        raise Http404
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    query = search_query(request.GET)
    templates = usable_templates(conversation, query)
    context = {
        "conversation": conversation,
        "templates": labelled(templates[:PICKED_AT_MOST]),
        "more": len(templates) > PICKED_AT_MOST,
        "query": query,
        "channel": Channel(conversation.channel).label,
        "full_page": not is_partial_request(request),
    }
    # Typing in the picker's search box asks for the list alone.
    fragment = "template-picker-results" if "q" in request.GET else "template-picker"
    return render_page(request, PICKER, context, fragment=fragment)


def composer_tool(user: Any, conversation: Conversation) -> dict[str, Any] | None:
    """The composer's "Templates" button for a conversation the user may answer in: the
    template to include and its context (for a registry of composer tools in the inbox)."""
    if Membership.objects.scope_for(user).role_in(conversation.inbox_id) is None:
        return None
    return {"template": PICKER_BUTTON, "conversation": conversation}
