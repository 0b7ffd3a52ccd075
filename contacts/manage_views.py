"""The More tab's actions: export, promote, block, anonymise, delete."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from contacts import actions
from contacts.access import access_contact
from contacts.exports import export_csv, export_json
from contacts.forms import BlockForm
from contacts.panel import panel_context
from contacts.views import _back_to_panel
from lib.errors import ActionRefused
from lib.htmx import render_page

EXPORTERS = {
    "json": (export_json, "application/json"),
    "csv": (export_csv, "text/csv"),
}


def export(request: AuthenticatedRequest, contact_id: int, file_format: str) -> HttpResponse:
    contact = access_contact(request.user, contact_id)
    if file_format not in EXPORTERS:
        raise Http404
    render_document, content_type = EXPORTERS[file_format]
    response = HttpResponse(
        render_document(contact, request.user), content_type=f"{content_type}; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="contact-{contact.pk}-{stamp}.{file_format}"'
    )
    actions.record_export(contact, actor=request.user, file_format=file_format)
    return response


@require_POST
def promote(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id, right="promote")
    try:
        actions.promote_contact(contact, actor=request.user)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("%(name)s is now a curated contact.") % {"name": contact})
    return _back_to_panel(request, contact, "more")


@require_POST
def block(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id, right="edit")
    form = BlockForm(request.POST)
    if form.is_valid():
        try:
            actions.block_contact(contact, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as invalid:
            form.add_error("reason", invalid.message_dict.get("reason", invalid.messages))
        else:
            messages.success(request, _("%(name)s is blocked.") % {"name": contact})
            return _back_to_panel(request, contact, "more")
    context = panel_context(request.user, contact, "more", block_form=form)
    return render_page(
        request, "contacts/detail.html", context, fragment="contact-panel", status=422
    )


@require_POST
def unblock(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id, right="edit")
    actions.unblock_contact(contact, actor=request.user)
    messages.success(request, _("%(name)s is no longer blocked.") % {"name": contact})
    return _back_to_panel(request, contact, "more")


@require_POST
def anonymise(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id, right="delete")
    actions.anonymise_contact(contact, actor=request.user)
    messages.success(
        request, _("The contact is anonymised. Its history is kept without personal data.")
    )
    return redirect("contacts:detail", contact_id=contact.pk)


@require_POST
def delete(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id, right="delete")
    record = actions.delete_contact(contact, actor=request.user)
    messages.success(request, _("The contact %(hint)s is deleted.") % {"hint": record.hint})
    return redirect("contacts:index")
