"""The conversation list of the agent workspace: filters, unread state and one page.

Whatever the number of conversations, a page is one query: the unread marker is a
subquery on ReadMarker and the contact, assignee and inbox are joined.
"""

from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from contacts.identities import format_phone
from contacts.models import MIN_SEARCH_LENGTH
from inbox.access import visible_inboxes
from inbox.models import Channel, Conversation, ConversationLabel, ConversationStatus, Label
from inbox.search import matching, search_page
from lib.dates import Moments
from lib.forms import search_query
from lib.memo import memoised
from lib.pagination import Page, paginate
from lib.replica import from_replica

PER_PAGE = 40
ORDERING = ("-last_message_at", "-id")
VIEWS = ("all", "mine", "unassigned")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ListFilters:
    """What the list shows; read from and written back to the query string."""

    view: str = "all"
    inbox: int | None = None
    status: str = ""
    q: str = ""
    contact: int | None = None
    channel: str = ""
    label: int | None = None
    # One colleague's conversations (managers' filter; "mine" and "unassigned" are views).
    assignee: int | None = None

    @classmethod
    def from_query(cls, query: QueryDict) -> "ListFilters":
        view = query.get("view", "all")
        status = query.get("status", "")
        return cls(
            view=view if view in VIEWS else "all",
            inbox=_int(query.get("inbox")),
            status=status if status in ConversationStatus.values else "",
            q=search_query(query),
            contact=_int(query.get("contact")),
            channel=channel if (channel := query.get("channel", "")) in Channel.values else "",
            label=_int(query.get("label")),
            assignee=_int(query.get("assignee")),
        )

    @property
    def searching(self) -> bool:
        return len(self.q) >= MIN_SEARCH_LENGTH

    @property
    def narrowed(self) -> bool:
        """Anything but the whole list: an empty result then says "no match"."""
        return bool(self.params())

    @property
    def search_too_short(self) -> bool:
        return 0 < len(self.q) < MIN_SEARCH_LENGTH

    def params(self, **override: Any) -> dict[str, str]:
        values = {
            "view": self.view,
            "inbox": self.inbox or "",
            "status": self.status,
            "q": self.q,
            "contact": self.contact or "",
            "channel": self.channel,
            "label": self.label or "",
            "assignee": self.assignee or "",
            **override,
        }
        return {k: str(v) for k, v in values.items() if v and not (k == "view" and v == "all")}

    @cached_property
    def current_query(self) -> str:
        """`query_string()` of these filters, worked out once (every row's link ends with it)."""
        return self.query_string()

    def query_string(self, **override: Any) -> str:
        params = self.params(**override)
        return "?" + urlencode(params) if params else ""


def filtered(
    conversations: QuerySet[Conversation], user: Any, filters: ListFilters, *, search: bool = True
) -> Any:
    """`conversations` narrowed to the filters. The search (inbox.search) joins here as one
    filter, for small sets such as the live poll's changed rows; a page of the list searches
    with `search=False` and inbox.search.search_page instead."""
    if filters.view == "mine":
        conversations = conversations.filter(assignee=user)
    elif filters.view == "unassigned":
        conversations = conversations.filter(assignee__isnull=True)
    if filters.inbox:
        conversations = conversations.filter(inbox_id=filters.inbox)
    if filters.status:
        conversations = conversations.filter(status=filters.status)
    if filters.contact:
        conversations = conversations.filter(contact_id=filters.contact)
    if filters.assignee:
        conversations = conversations.filter(assignee_id=filters.assignee)
    if filters.channel:
        conversations = conversations.filter(channel=filters.channel)
    if filters.label:
        # EXISTS, not a join: the page stays in recency order on the recency index.
        conversations = conversations.filter(
            Exists(
                ConversationLabel.objects.filter(conversation=OuterRef("pk"), label=filters.label)
            )
        )
    if filters.searching and search:
        conversations = matching(conversations, filters.q)
    return conversations


# What a row shows of a conversation and its contact, assignee and inbox: loading only these
# halves the list's time in Python (a contact's attributes, provenance and search text, the
# candidates, timestamps nobody shows — 160 model objects a page).
ROW_FIELDS = (
    *("inbox_id", "contact_id", "assignee_id", "identity_id", "contact_state", "channel"),
    *("address", "number", "status", "subject", "is_flagged", "last_message_at"),
    *("last_message_preview", "waiting_since", "updated_at"),
    *("contact__kind", "contact__first_name", "contact__last_name", "contact__company"),
    *("contact__is_blocked", "assignee__display_name", "assignee__email"),
    *("inbox__name", "inbox__mode"),
)


def with_row_data(conversations: Any, user: Any) -> Any:
    """Join what a row shows and annotate when `user` last read each conversation."""
    return (
        conversations.select_related("contact", "assignee", "inbox")
        .only(*ROW_FIELDS)
        .with_read_at(user)
    )


def row_labels() -> dict[str, str]:
    """The words every row repeats, translated once per page instead of once per row."""
    return {
        "unread": _("Unread"),
        "inbox": _("Inbox"),
        "assigned_to": _("Assigned to"),
        "unassigned": _("Unassigned"),
        "select": _("Select"),
        "labels": _("Labels"),
        **{f"channel_{value}": str(label) for value, label in Channel.choices},
        **{f"status_{value}": str(label) for value, label in ConversationStatus.choices},
    }


def decorate(conversations: list[Conversation]) -> list[Conversation]:
    """Set what a row shows beyond fields: `is_unread` (the customer wrote after the user
    last opened it and nobody has answered yet — our own replies never make a conversation
    unread), `title`, a short `time_label`, its `url` and the shared `labels`."""
    moments = Moments()
    labels = row_labels()
    # One URL reversal for the whole page; rows fill in their id.
    url_pattern = reverse("inbox:conversation", args=[0]).replace("/0/", "/{}/")
    chips = labels_of([c.pk for c in conversations])
    for conversation in conversations:
        read_at = getattr(conversation, "read_at", None)
        row: Any = conversation
        row.is_unread = bool(
            conversation.waiting_since
            and (read_at is None or conversation.last_message_at > read_at)
        )
        row.labels = labels
        row.channel_label = labels.get(f"channel_{conversation.channel}", conversation.channel)
        row.status_label = labels.get(f"status_{conversation.status}", conversation.status)
        row.url = url_pattern.format(conversation.pk)
        row.title = conversation_title(conversation)
        row.label_chips = chips.get(conversation.pk, [])
        row.time_label = moments(conversation.last_message_at)
    return conversations


def labels_of(conversation_ids: list[int]) -> dict[int, list[Label]]:
    """The labels on each of these conversations, by name: one query of the link table
    (the labels themselves are cached), none while no label exists, and once per request
    for the same conversations (a thread's header and its list row)."""
    by_id = {label.pk: label for label in Label.objects.cached()}
    if not conversation_ids or not by_id:
        return {}
    return memoised(
        ("labels-of", tuple(conversation_ids)), lambda: _labels_of(conversation_ids, by_id)
    )


def _labels_of(conversation_ids: list[int], by_id: dict[int, Label]) -> dict[int, list[Label]]:
    found: dict[int, list[Label]] = {}
    links = ConversationLabel.objects.filter(conversation_id__in=conversation_ids)
    for conversation_id, label_id in links.values_list("conversation_id", "label_id"):
        if label_id in by_id:
            found.setdefault(conversation_id, []).append(by_id[label_id])
    for chips in found.values():
        chips.sort(key=lambda label: label.name.lower())
    return found


def conversation_title(conversation: Conversation) -> str:
    """The contact's name, or the sender's address while nobody knows who it is."""
    contact = conversation.contact
    if contact is not None and (contact.full_name or contact.company):
        return contact.display_name
    return display_address(conversation)


def display_address(conversation: Conversation) -> str:
    """The sender's address as people read it (+49 170 1234567)."""
    if conversation.channel == "email":
        return conversation.address
    return format_phone(conversation.address)


def list_page(user: Any, filters: ListFilters, cursor: str | None) -> Page[Conversation]:
    """One page of the list; raises InvalidCursor for a forged `after`."""
    conversations = with_row_data(
        filtered(Conversation.objects.visible_to(user), user, filters, search=False), user
    )
    if filters.searching:
        with from_replica():  # full-text search: the heavy read a replica is for
            page = search_page(
                conversations, filters.q, ordering=ORDERING, cursor=cursor, per_page=PER_PAGE
            )
    else:
        page = paginate(conversations, ordering=ORDERING, cursor=cursor, per_page=PER_PAGE)
    decorate(page.items)
    return page


def inbox_choices(user: Any) -> list[Any]:
    return visible_inboxes(user)
