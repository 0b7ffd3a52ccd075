"""The "several matches" chooser of the contact panel (seed 002): the sender's address is
shared by several contacts (contacts.sharing), so the agent picks who this conversation is
with. The candidates stay on the conversation after the pick (Conversation.candidate_ids),
so the panel offers "back to the list" and shows the pick until the agent changes it."""

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from contacts.models import Contact
from inbox.models import ContactState, Conversation

# A shared address is a family's or a small company's: a few contacts. The list shows at
# most this many, the search narrows them.
CANDIDATES_SHOWN = 50


def candidates(user: Any, conversation: Conversation) -> list[Contact]:
    """The contacts sharing the conversation's address that `user` may see, most recently
    active first, each with `conversation_count` (their conversations the user can see):
    one query."""
    if len(conversation.candidate_ids) < 2:
        return []
    counts = (
        Conversation.objects.visible_to(user)
        .filter(contact=OuterRef("pk"))
        .order_by()
        .values("contact")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        Contact.objects.visible_to(user)
        .filter(pk__in=conversation.candidate_ids)
        .annotate(
            conversation_count=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))
        )
        .order_by("-last_activity_at", "-id")[: CANDIDATES_SHOWN * 4]
    )


def chooser_context(
    user: Any, conversation: Conversation, *, query: str = "", reopened: bool = False
) -> dict[str, Any]:
    """Context for `inbox/_contact_chooser.html#chooser`: the list is open while nobody has
    been picked, or when the agent went back to it (`reopened`); `query` narrows it by name
    or company. Otherwise the panel links back to it."""
    found = candidates(user, conversation)
    query = query.strip()
    choosing = conversation.contact_state == ContactState.TO_CONFIRM and (
        conversation.contact_id is None
    )
    is_open = bool(found) and (choosing or reopened)
    needle = query.lower()
    shown = [c for c in found if needle in c.search_text] if needle else found
    return {
        "chooser_open": is_open,
        "chooser_reopened": is_open and reopened,
        "chooser_can_reopen": bool(found) and not is_open,
        "chooser_total": len(found),
        "chooser_candidates": shown[:CANDIDATES_SHOWN],
        "chooser_query": query,
    }
