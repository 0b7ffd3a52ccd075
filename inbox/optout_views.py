"""The thread's "Mark as opted out" next to a message that sounds like "stop" but is not a
keyword (inbox.optout_hint): a plain form POST; htmx gets the panes back."""

from django.contrib import messages
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from inbox.access import access_conversation, access_message
from inbox.actions.opt_out import mark_opted_out
from inbox.conversation_views import _back, _back_from_message
from lib.errors import refusals_answered_by


@require_POST
@refusals_answered_by(_back_from_message)
def message_opt_out(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    # 404 beyond the user's inboxes; 403 for one they see but do not work in.
    message = access_message(request.user, message_id)
    access_conversation(request.user, message.conversation_id, for_write=True)
    mark_opted_out(message, actor=request.user)
    messages.success(request, _("Recorded: this contact gets no more campaign messages here."))
    return _back(request, message.conversation_id, contact_panel=True)
