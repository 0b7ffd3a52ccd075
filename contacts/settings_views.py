"""Settings → Agent workspace → Contact attributes, and Privacy & security → Deleted contacts.

Admins only. Every change is a plain POST that redirects back to the list; an htmx request
gets the list fragment instead, with the row that moved marked so the page can put the
keyboard focus back where it was.
"""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import require_admin
from accounts.http import AuthenticatedRequest
from contacts import settings_actions as actions
from contacts.access import access_attribute_definition
from contacts.models import AttributeDefinition, AttributeType, DeletedContact
from contacts.settings_forms import (
    BuiltinAttributeForm,
    CustomAttributeForm,
    MoveForm,
    OrderForm,
    VisibilityForm,
)
from lib.errors import ActionRefused
from lib.htmx import is_partial_request, render_page
from lib.pagination import InvalidCursor, paginate

DELETED_CONTACTS_PER_PAGE = 50
ATTRIBUTES_TEMPLATE = "contacts/settings/attributes.html"


def _render_list(
    request: AuthenticatedRequest,
    *,
    focus: tuple[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page, or for htmx its #attribute-list fragment. `focus` is (attribute id, control)
    of the control that should have the keyboard focus after the swap."""
    context: dict[str, Any] = {
        "definitions": list(AttributeDefinition.objects.order_by("position", "id")),
        "focus_id": focus[0] if focus else None,
        "focus_control": focus[1] if focus else "",
    }
    return render_page(
        request, ATTRIBUTES_TEMPLATE, context, fragment="attribute-list", status=status
    )


def _back_to_list(
    request: AuthenticatedRequest, definition: AttributeDefinition, control: str
) -> HttpResponse:
    if is_partial_request(request):
        return _render_list(request, focus=(definition.pk, control))
    return redirect(f"{reverse('contact_settings:attributes')}#attribute-{definition.pk}")


@require_admin
def attributes(request: AuthenticatedRequest) -> HttpResponse:
    return _render_list(request)


@require_admin
@require_POST
def attributes_reorder(request: AuthenticatedRequest) -> HttpResponse:
    form = OrderForm(request.POST)
    try:
        if not form.is_valid():
            raise ActionRefused(_("The order was not saved: the list could not be read."))
        actions.reorder_attributes(ids=form.cleaned_data["order"])
    except ActionRefused as refused:
        # The list comes back in the stored order, so the page shows what is really saved.
        messages.error(request, refused.message)
        return _render_list(request, status=400)
    messages.success(request, _("Order saved."))
    if is_partial_request(request):
        return _render_list(request)
    return redirect("contact_settings:attributes")


@require_admin
@require_POST
def attribute_move(request: AuthenticatedRequest, attribute_id: int) -> HttpResponse:
    definition = access_attribute_definition(request.user, attribute_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Move an attribute up or down."))
        return _render_list(request, status=400)
    direction = form.cleaned_data["direction"]
    if actions.move_attribute(definition, direction=direction):
        message = _("“%(label)s” moved up.") if direction == "up" else _("“%(label)s” moved down.")
        messages.success(request, message % {"label": definition.display_label})
    return _back_to_list(request, definition, direction)


@require_admin
@require_POST
def attribute_visibility(request: AuthenticatedRequest, attribute_id: int) -> HttpResponse:
    definition = access_attribute_definition(request.user, attribute_id)
    form = VisibilityForm(request.POST)
    form.is_valid()  # a lone optional checkbox is always valid
    visible = form.cleaned_data["visible"]
    actions.set_attribute_visibility(definition, visible=visible)
    if visible:
        message = _("“%(label)s” is now visible to agents.")
    else:
        message = _("“%(label)s” is now hidden from agents.")
    messages.success(request, message % {"label": definition.display_label})
    return _back_to_list(request, definition, "visible")


@require_admin
def attribute_add(request: AuthenticatedRequest) -> HttpResponse:
    form = CustomAttributeForm(
        request.POST or None, initial={"visible": True, "agent_editable": True}
    )
    if request.method == "POST" and form.is_valid():
        try:
            definition = actions.add_attribute(**form.cleaned_data)
        except ActionRefused as refused:
            form.add_error("key", refused.message)
        else:
            messages.success(request, _("“%(label)s” is added.") % {"label": definition.label})
            return redirect(f"{reverse('contact_settings:attributes')}#attribute-{definition.pk}")
    status = 422 if form.errors else 200
    return render(
        request,
        "contacts/settings/attribute_form.html",
        {"form": form, "definition": None, "choice_type": AttributeType.CHOICE},
        status=status,
    )


@require_admin
def attribute_edit(request: AuthenticatedRequest, attribute_id: int) -> HttpResponse:
    definition = access_attribute_definition(request.user, attribute_id)
    form: BuiltinAttributeForm
    if definition.is_builtin:
        form = BuiltinAttributeForm(
            request.POST or None,
            key=definition.key,
            initial={
                "visible": definition.visible,
                "agent_editable": definition.agent_editable,
                "owner": definition.owner,
                "default_value": definition.default_value,
            },
        )
    else:
        form = CustomAttributeForm(request.POST or None, instance=definition)
    if request.method == "POST" and form.is_valid():
        values = {name: v for name, v in form.cleaned_data.items() if name != "key"}
        actions.update_attribute(definition, **values)
        messages.success(request, _("“%(label)s” is saved.") % {"label": definition.display_label})
        return redirect(f"{reverse('contact_settings:attributes')}#attribute-{definition.pk}")
    status = 422 if form.errors else 200
    return render(
        request,
        "contacts/settings/attribute_form.html",
        {"form": form, "definition": definition, "choice_type": AttributeType.CHOICE},
        status=status,
    )


@require_admin
@require_POST
def attribute_remove(request: AuthenticatedRequest, attribute_id: int) -> HttpResponse:
    definition = access_attribute_definition(request.user, attribute_id)
    try:
        actions.remove_attribute(definition)
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("contact_settings:attribute_edit", attribute_id=definition.pk)
    messages.success(
        request,
        _("“%(label)s” is removed. Values stored on contacts are kept.")
        % {"label": definition.label},
    )
    return redirect("contact_settings:attributes")


@require_admin
def deleted_contacts(request: AuthenticatedRequest) -> HttpResponse:
    try:
        page = paginate(
            DeletedContact.objects.all(),
            ordering=("-deleted_at", "-id"),
            cursor=request.GET.get("after"),
            per_page=DELETED_CONTACTS_PER_PAGE,
        )
    except InvalidCursor as exc:
        raise Http404 from exc
    fragment = "deleted-contact-rows" if request.GET.get("after") else None
    return render_page(
        request, "contacts/settings/deleted_contacts.html", {"page": page}, fragment=fragment
    )
