""" "Send message" on the contact card (seed 002): the form opens inside the contact panel
(htmx) or as a page of its own (without JavaScript), and sends through
inbox.actions.contact_send."""

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.http import AuthenticatedRequest
from accounts.models import Organisation
from contacts.access import access_contact
from contacts.models import Contact
from inbox.access import access_conversation, manages_any_inbox
from inbox.actions.contact_send import send_to_contact
from inbox.contact_send_forms import ContactSendForm, ContactSendOptions
from inbox.list import display_address
from inbox.models import Membership
from inbox.variables import TemplateError, render_for, variables_menu
from lib.errors import ActionRefused
from lib.htmx import is_partial_request, render_page

TEMPLATE = "inbox/contact_send.html"
FRAGMENT = "contact-send"


def contact_send_action(user: Any, contact: Contact) -> dict[str, Any] | None:
    """The contact panel's "Send message" button (contacts.panel.register_panel_action): for
    everyone who works in an inbox. Whether a channel is set up the form itself explains."""
    if not (getattr(user, "is_admin", False) or Membership.objects.scope_for(user).works_anywhere):
        return None
    return {"contact_send_url": _url(contact), "slot": FRAGMENT}


def contact_send(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id)
    if request.GET.get("closed"):
        # "Cancel" in the panel puts the empty slot back.
        if not is_partial_request(request):
            return redirect("contacts:detail", contact_id=contact.pk)
        return render(request, f"{TEMPLATE}#contact-send-slot", {"contact": contact})
    options = ContactSendOptions(request.user, contact)
    status = 200
    if request.method != "POST":
        initial = {"client_id": uuid.uuid4(), **_from_conversation(request, contact)}
        form = ContactSendForm(options=options, initial=initial)
    elif request.POST.get("refresh"):
        # Another address or channel was picked: narrow the choices, send nothing.
        picked = ContactSendForm(request.POST, options=options)
        form = ContactSendForm(options=options, initial=picked.refreshed_initial())
    else:
        form = ContactSendForm(request.POST, options=options)
        if form.is_valid():
            sent = _send(request, contact, form)
            if sent is not None:
                return sent
        status = 422
    context = _context(request, contact, options, form)
    return render_page(request, TEMPLATE, context, fragment=FRAGMENT, status=status)


def _send(
    request: AuthenticatedRequest, contact: Contact, form: ContactSendForm
) -> HttpResponse | None:
    """Send what the valid form says; None (with the errors on the form) when refused."""
    data = form.cleaned_data
    organisation = Organisation.load()
    rendered = {}
    for field in ("subject", "body"):
        try:
            rendered[field] = render_for(data[field], organisation, contact)
        except TemplateError as refused:  # e.g. no first name and no default for it
            form.add_error(field, refused.message)
    if form.errors:
        return None
    try:
        sent = send_to_contact(
            request.user,
            contact,
            inbox=data["inbox"],
            channel=data["channel"],
            address=data["address"],
            body=rendered["body"],
            subject=rendered["subject"],
            client_id=data["client_id"],
        )
    except ValidationError as invalid:
        for field, errors in invalid.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None
    except (ActionRefused, PermissionDenied) as refused:
        form.add_error(None, str(getattr(refused, "message", "") or refused))
        return None
    conversation = sent.conversation
    address = display_address(conversation)
    messages.success(
        request,
        _("Message sent to %(address)s from %(inbox)s (conversation #%(number)s).")
        % {"address": address, "inbox": conversation.inbox, "number": conversation.number},
    )
    if not is_partial_request(request):
        return redirect("inbox:conversation", conversation_id=conversation.pk)
    context = {
        "contact": contact,
        "sent": sent,
        "address": address,
        "contact_send_url": _url(contact),
    }
    return render(request, f"{TEMPLATE}#{FRAGMENT}", context)


def _from_conversation(request: AuthenticatedRequest, contact: Contact) -> dict[str, Any]:
    """Opened from a conversation's panel (`?conversation=<id>`): that conversation's address,
    channel and inbox come first. A conversation the user may not see is a 404; one of
    another contact, or an id that is no number, preselects nothing."""
    value = request.GET.get("conversation", "")
    if not value.isdigit():
        return {}
    conversation = access_conversation(request.user, int(value))
    if conversation.contact_id != contact.pk:
        return {}
    return {
        "address": conversation.address,
        "channel": conversation.channel,
        "inbox": str(conversation.inbox_id),
    }


def _url(contact: Contact) -> str:
    return reverse("inbox:contact_send", args=[contact.pk])


def _context(
    request: AuthenticatedRequest,
    contact: Contact,
    options: ContactSendOptions,
    form: ContactSendForm,
) -> dict[str, Any]:
    return {
        "contact": contact,
        "form": form,
        "options": options,
        "contact_send_url": _url(contact),
        "variables": variables_menu(),
        "can_set_up": manages_any_inbox(request.user),
    }
