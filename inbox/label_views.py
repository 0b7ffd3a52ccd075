"""Labels: Settings → Agent workspace → Labels (admins), and putting a label on a
conversation or taking it off (its header; members of its inbox)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.access import require_admin
from accounts.http import AuthenticatedRequest
from inbox.access import access_conversation, access_label
from inbox.actions import labels as actions
from inbox.conversation_views import _back, refusals
from inbox.label_forms import LabelForm
from inbox.models import Label, LabelColour
from lib.errors import ActionRefused
from lib.forms import chosen_id

LABELS_TEMPLATE = "inbox/settings/labels.html"


def chosen_label(request: AuthenticatedRequest, name: str) -> Label:
    """The label a form picked. One deleted meanwhile (or a forged id) is a refusal with a
    reason, not a 404: htmx would draw the 404 page in place of the pane the form updates."""
    try:
        return access_label(request.user, chosen_id(request.POST, name) or 0)
    except Http404 as exc:
        raise ActionRefused(_("That label no longer exists.")) from exc


@require_POST
@refusals
def conversation_label_add(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    label = chosen_label(request, "label")
    if actions.add_label(conversation, label=label, actor=request.user):
        messages.success(request, _("Label “%(name)s” added.") % {"name": label.name})
    return _back(request, conversation.pk)


@require_POST
@refusals
def conversation_label_remove(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    label = chosen_label(request, "label")
    if actions.remove_label(conversation, label=label, actor=request.user):
        messages.success(request, _("Label “%(name)s” removed.") % {"name": label.name})
    return _back(request, conversation.pk)


def _apply_errors(form: LabelForm, invalid: ValidationError) -> None:
    for field, errors in invalid.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def _labels_page(
    request: AuthenticatedRequest,
    form: LabelForm,
    *,
    editing: Label | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        LABELS_TEMPLATE,
        {
            "labels": Label.objects.cached(),
            "form": form,
            "editing": editing,
            "colours": LabelColour.choices,
        },
        status=status,
    )


@require_admin
def labels(request: AuthenticatedRequest) -> HttpResponse:
    """The labels, and the form that adds one."""
    form = LabelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            label = actions.create_label(actor=request.user, **form.cleaned_data)
        except ValidationError as invalid:
            _apply_errors(form, invalid)
        else:
            messages.success(request, _("Label “%(name)s” is added.") % {"name": label.name})
            return redirect("inbox_settings:labels")
    return _labels_page(request, form, status=422 if form.errors else 200)


@require_admin
def label_edit(request: AuthenticatedRequest, label_id: int) -> HttpResponse:
    """Rename or recolour a label."""
    label = access_label(request.user, label_id)
    form = LabelForm(request.POST or None, initial={"name": label.name, "colour": label.colour})
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_label(label, actor=request.user, **form.cleaned_data)
        except ValidationError as invalid:
            _apply_errors(form, invalid)
        else:
            messages.success(request, _("Label “%(name)s” is saved.") % {"name": label.name})
            return redirect("inbox_settings:labels")
    return _labels_page(request, form, editing=label, status=422 if form.errors else 200)


@require_admin
@require_POST
def label_delete(request: AuthenticatedRequest, label_id: int) -> HttpResponse:
    label = access_label(request.user, label_id)
    count = actions.delete_label(label, actor=request.user)
    message = ngettext(
        "Label “%(name)s” is deleted; it came off %(count)s conversation.",
        "Label “%(name)s” is deleted; it came off %(count)s conversations.",
        count,
    )
    messages.success(request, message % {"name": label.name, "count": count})
    return redirect("inbox_settings:labels")
