"""The contact panel's "several matches" chooser: open it (again), search within it, pick."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from contacts.access import access_contact
from inbox.access import access_conversation
from inbox.actions import linking
from inbox.contact_chooser import chooser_context
from inbox.contact_panel import contact_panel_context
from inbox.conversation_views import _back, refusals
from inbox.views import conversation_context, workspace_context
from lib.forms import chosen_id, search_query
from lib.htmx import is_partial_request


@require_GET
def contact_chooser(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    """The chooser in the contact panel: the contacts sharing the sender's address, narrowed
    by `q`; also "back to the list" after a pick. The panel alone for htmx, else the page."""
    conversation = access_conversation(request.user, conversation_id)
    query = search_query(request.GET)
    if is_partial_request(request):
        context = contact_panel_context(
            request.user, conversation, chooser_query=query, chooser_reopened=True
        )
        return render(request, "inbox/_contact_panel.html#contact-panel-pane", context)
    context = conversation_context(request, conversation)
    # The whole workspace (no JavaScript): the panel's chooser open, searched.
    context.update(chooser_context(request.user, conversation, query=query, reopened=True))
    context.update(workspace_context(request, context["filters"]))
    return render(request, "inbox/index.html", context)


@require_POST
@refusals
def contact_choose(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    """Pick one of the candidates for this conversation (the panel remembers it)."""
    conversation = access_conversation(request.user, conversation_id, for_write=True)
    contact = access_contact(request.user, chosen_id(request.POST, "contact") or 0)
    linking.choose_contact(conversation, contact=contact, actor=request.user)
    messages.success(request, _("This conversation is with %(name)s.") % {"name": contact})
    return _back(request, conversation.pk, contact_panel=True)
