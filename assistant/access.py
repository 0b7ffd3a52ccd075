"""The one door to a message assistant request by id (DESIGN.md §7)."""

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404

from assistant.models import AssistantRequest
from inbox.access import inbox_role


def access_request(user: Any, request_id: int) -> AssistantRequest:
    """A request `user` made, in an inbox they still belong to (404 otherwise, for anyone
    else's request too: a request's answer carries its inbox's data)."""
    if not user.is_authenticated:
        raise Http404
    row = get_object_or_404(
        AssistantRequest.objects.select_related("inbox"), pk=request_id, user=user
    )
    if row.inbox is None or inbox_role(user, row.inbox) is None:
        raise Http404
    return row
