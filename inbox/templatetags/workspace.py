"""Links in the workspace's panes that keep the agent in the mode they work in: the inbox,
or routing mode, which draws the same thread and contact panel (inbox.routing_views)."""

from typing import Any

from django import template
from django.urls import reverse

from inbox.routing_views import is_routing_request

register = template.Library()


@register.simple_tag(takes_context=True)
def conversation_url(context: Any, conversation: Any) -> str:
    """The conversation's page in the current mode (without JavaScript, its forms that ask
    for the page again — a contact search, a form to open — stay in routing mode)."""
    request = context.get("request")
    routing = request is not None and is_routing_request(request)
    name = "routing:conversation" if routing else "inbox:conversation"
    return reverse(name, args=[conversation.pk])
