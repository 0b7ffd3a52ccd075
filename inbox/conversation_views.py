"""What an agent does to a conversation: reply, comment, assign, change status, and link
the right contact. Each is a plain form POST; htmx gets the updated panes back."""

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import Organisation, User
from contacts import actions as contact_actions
from contacts import sharing
from contacts.access import access_contact, require
from contacts.identities import CHANNEL_KINDS
from contacts.models import ContactKind
from contacts.panel import panel_context
from inbox import actions, routing_views
from inbox.access import access_attachment, access_conversation, access_message
from inbox.actions import assignment, linking
from inbox.forms import AssignForm, CommentForm, NewContactForm, ReplyForm, StatusForm
from inbox.models import Conversation, ConversationStatus
from inbox.variables import TemplateError, check_template, render_for
from inbox.views import conversation_context, workspace_context
from lib.errors import refusals_answered_by
from lib.forms import chosen_id
from lib.htmx import is_partial_request


def _back(
    request: AuthenticatedRequest,
    conversation_id: int,
    *,
    status: int = 200,
    contact_panel: bool = False,
    draft: str = "",
) -> HttpResponse:
    """The updated panes for htmx (thread, its list row, and the contact panel when the
    contact changed); a redirect to the conversation otherwise. A `draft` (a reply that
    could not be sent) goes back into the reply box, so the whole page is drawn for it.
    From routing mode, the same panes without a list row, or the routing page."""
    partial = is_partial_request(request)
    routing = routing_views.is_routing_request(request)
    if not partial and not draft:
        page = "routing:conversation" if routing else "inbox:conversation"
        return redirect(page, conversation_id=conversation_id)
    conversation = access_conversation(request.user, conversation_id)
    if routing and not partial:
        return routing_views.page(request, conversation, status=status, draft=draft)
    context = conversation_context(
        request, conversation, contact_panel=contact_panel or not partial
    )
    context["draft"] = draft
    if routing:
        context["row"] = None  # routing mode has no conversation list
    if not partial:
        context.update(workspace_context(request, context["filters"]))
        return render(request, "inbox/index.html", context, status=status)
    return render(request, "inbox/_conversation.html", context, status=status)


def _back_from_message(
    request: AuthenticatedRequest, message_id: int, *, status: int = 200
) -> HttpResponse:
    message = access_message(request.user, message_id)
    return _back(request, message.conversation_id, status=status)


# Every action below may refuse (a reason, a conflict, invalid input): the reason is shown
# and the panes are drawn again as they are now (lib.errors).
refusals = refusals_answered_by(_back)


def _form_error(request: AuthenticatedRequest, form: Any) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@require_POST
@refusals
def reply(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    form = ReplyForm(request.POST, request.FILES, channel=conversation.channel)
    if not form.is_valid():
        # A refused file (its kind, its size) sends nothing; what was typed stays in the box.
        _form_error(request, form)
        return _back(request, conversation.pk, status=422, draft=request.POST.get("body", ""))
    typed = form.cleaned_data["body"]
    try:
        check_template(typed)
        body = render_for(typed, Organisation.load(), conversation.contact)
    except TemplateError as refused:
        # Nothing is sent; the reply box keeps what was typed, the reason beside it.
        messages.error(request, refused.message)
        return _back(request, conversation.pk, status=422, draft=typed)
    actions.reply(
        conversation,
        body=body,
        actor=request.user,
        client_id=form.cleaned_data["client_id"],
        files=form.cleaned_data["files"],
    )
    return _back(request, conversation.pk)


@require_POST
@refusals
def comment(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    form = CommentForm(request.POST)
    if not form.is_valid():
        _form_error(request, form)
        return _back(request, conversation.pk, status=422)
    actions.add_comment(conversation, body=form.cleaned_data["body"], actor=request.user)
    messages.success(request, _("Comment added. Only your team can see it."))
    return _back(request, conversation.pk)


@require_POST
def message_comment(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    """A comment on one agent reply, from the contact panel's Cases tab."""
    message = access_message(request.user, message_id)
    conversation = access_conversation(request.user, message.conversation_id, for_write=True)
    form = CommentForm(request.POST)
    if form.is_valid():
        actions.add_comment(
            conversation, body=form.cleaned_data["body"], actor=request.user, message=message
        )
        messages.success(request, _("Comment added. Only your team can see it."))
    else:
        _form_error(request, form)
    contact = conversation.contact
    if contact is None:
        return redirect("inbox:conversation", conversation_id=conversation.pk)
    if is_partial_request(request):
        context = panel_context(request.user, contact, "cases", embedded=True)
        return render(request, "contacts/detail.html#contact-panel", context)
    return redirect(reverse("contacts:detail", args=[contact.pk]) + "?tab=cases")


@require_GET
def attachment_download(request: AuthenticatedRequest, attachment_id: int) -> FileResponse:
    """A customer's file, only for users who may see its conversation; always downloaded,
    never rendered inline (it is untrusted content)."""
    attachment = access_attachment(request.user, attachment_id)
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@refusals_answered_by(_back_from_message)
def message_retry(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    """Send a failed reply again, or one whose delivery is unknown (after a confirmation)."""
    message = access_message(request.user, message_id)
    access_conversation(request.user, message.conversation_id, for_write=True)
    actions.retry(message, actor=request.user)
    messages.success(request, _("Sending again."))
    return _back(request, message.conversation_id)


@require_POST
@refusals
def assign_to_me(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    # Someone quicker is a Conflict (409): the answer says who and shows the real assignee.
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    assignment.assign_to_me(conversation, actor=request.user)
    messages.success(request, _("The conversation is yours."))
    return _back(request, conversation.pk)


@require_POST
@refusals
def assign(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    form = AssignForm(request.POST)
    assignee = None
    if form.is_valid():
        assignee = User.objects.filter(pk=form.cleaned_data["assignee"]).first()
    if assignee is None:
        messages.error(request, _("Choose a member of this inbox."))
        return _back(request, conversation.pk, status=422)
    assignment.assign(conversation, assignee=assignee, actor=request.user)
    messages.success(request, _("Assigned to %(name)s.") % {"name": assignee})
    return _back(request, conversation.pk)


@require_POST
@refusals
def unassign(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    assignment.unassign(conversation, actor=request.user)
    messages.success(request, _("The conversation is unassigned."))
    return _back(request, conversation.pk)


@require_POST
@refusals
def set_status(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    form = StatusForm(request.POST)
    if not form.is_valid():
        _form_error(request, form)
        return _back(request, conversation.pk, status=422)
    status = form.cleaned_data["status"]
    actions.set_status(conversation, status=status, actor=request.user)
    messages.success(
        request,
        _("Marked as %(status)s.") % {"status": ConversationStatus(status).label.lower()},
    )
    return _back(request, conversation.pk)


@require_POST
@refusals
def contact_confirm(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    """Confirm the linked contact; a temporary one is confirmed by creating the contact from
    it (`keep=create` with names) or promoting it (`keep=promote`) in the same step."""
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    keep = linking.KEEPS.get(request.POST.get("keep", ""), "")
    form = NewContactForm(request.POST)
    form.is_valid()
    was_temporary = (
        conversation.contact is not None and conversation.contact.kind == ContactKind.EPHEMERAL
    )
    linking.confirm_contact(
        conversation,
        actor=request.user,
        keep=keep,
        first_name=form.cleaned_data.get("first_name", ""),
        last_name=form.cleaned_data.get("last_name", ""),
    )
    if was_temporary and keep == linking.KEEP_CREATE:
        messages.success(
            request, _("%(name)s is created and linked.") % {"name": conversation.contact}
        )
    elif was_temporary:
        messages.success(
            request, _("%(name)s is now a curated contact.") % {"name": conversation.contact}
        )
    else:
        messages.success(request, _("Contact confirmed."))
    return _back(request, conversation.pk, contact_panel=True)


@require_POST
def contact_unlink(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    linking.unlink_contact(conversation, actor=request.user)
    messages.success(request, _("Contact unlinked. Search for the right one or create it."))
    return _back(request, conversation.pk, contact_panel=True)


@require_POST
def contact_link(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    contact = access_contact(request.user, chosen_id(request.POST, "contact") or 0)
    linking.link_contact(conversation, contact=contact, actor=request.user)
    messages.success(request, _("Linked to %(name)s.") % {"name": contact})
    return _back(request, conversation.pk, contact_panel=True)


@require_POST
def contact_create(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    """Create a contact for the sender's address and link the conversation to it."""
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    require(request.user, "add")
    form = NewContactForm(request.POST)
    form.is_valid()
    names = {k: form.cleaned_data.get(k, "") for k in ("first_name", "last_name")}
    contact = _create_contact(request, conversation, names)
    linking.link_contact(conversation, contact=contact, actor=request.user)
    messages.success(request, _("%(name)s is created and linked.") % {"name": contact})
    return _back(request, conversation.pk, contact_panel=True)


def _create_contact(
    request: AuthenticatedRequest, conversation: Conversation, names: dict[str, str]
) -> Any:
    identity = (CHANNEL_KINDS[conversation.channel][0], conversation.address)
    try:
        return contact_actions.create_contact(
            actor=request.user,
            first_name=names["first_name"],
            last_name=names["last_name"],
            identities=[identity],
        )
    except contact_actions.IdentityTaken as taken:
        contact = contact_actions.create_contact(
            actor=request.user, first_name=names["first_name"], last_name=names["last_name"]
        )
        if taken.is_shared:
            # Several contacts share the address already (a family landline): the new one
            # is another of them.
            sharing.share_identity(contact, identity=taken.identity, actor=request.user)
        else:
            # The address still belongs to the contact that was unlinked: the new contact
            # goes without it; the agent can claim or share it in the Identities tab.
            messages.warning(request, taken.message)
        return contact
