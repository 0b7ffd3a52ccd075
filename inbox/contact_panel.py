"""The workspace's contact panel, its right-hand pane: whose conversation this is (the
matching states of seed 004), then the contacts app's panel of that contact."""

from typing import Any

from contacts.models import MIN_SEARCH_LENGTH, Contact
from contacts.panel import panel_context
from inbox.access import inbox_role
from inbox.contact_chooser import chooser_context
from inbox.list import display_address
from inbox.models import ContactState, Conversation

SEARCH_RESULTS = 10


def contact_panel_context(
    user: Any,
    conversation: Conversation,
    *,
    contact_query: str = "",
    tab: str = "summary",
    chooser_query: str = "",
    chooser_reopened: bool = False,
) -> dict[str, Any]:
    """Context for `inbox/_contact_panel.html#contact-panel-pane`; `chooser_*` open the
    "several matches" chooser again and search it (inbox.chooser_views)."""
    can_link = inbox_role(user, conversation.inbox) is not None and user.has_perm(
        "contacts.link_conversation"
    )
    context: dict[str, Any] = {
        "conversation": conversation,
        "address": display_address(conversation),
        "can_link": can_link,
        "can_create_contact": can_link and user.has_perm("contacts.add_contact"),
        "can_promote": can_link and user.has_perm("contacts.promote_contact"),
        "contact_query": contact_query,
        "search_too_short": 0 < len(contact_query) < MIN_SEARCH_LENGTH,
        "candidates": [],
        "found": None,
    }
    choosing = conversation.contact_state in (ContactState.TO_CONFIRM, ContactState.UNLINKED)
    # Several contacts share the sender's address: the chooser (or the way back to it).
    context.update(
        chooser_context(user, conversation, query=chooser_query, reopened=chooser_reopened)
    )
    if choosing and len(contact_query) >= MIN_SEARCH_LENGTH:
        context["found"] = list(
            Contact.objects.visible_to(user)
            .search(contact_query)
            .prefetch_related("identities")
            .order_by("-last_activity_at", "-id")[:SEARCH_RESULTS]
        )
    if conversation.contact is not None:
        # The panel's own names (contact, tab, notes, …) join this context for its include.
        context.update(panel_context(user, conversation.contact, tab))
    return context
