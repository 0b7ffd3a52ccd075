"""Who is asking through the API: a token, its organisation, and what it may see.

A token sees exactly what its inboxes allow — every inbox of the organisation, or the set it
is restricted to — whatever its creator could see; its creator is the actor of what it
changes (events, authorship), and a token never does more than its creator may: once the
creator has lost their licence, the token stops working (api.auth).
"""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from accounts.models import Organisation, User
from api.models import ApiToken
from inbox.models import Inbox


@dataclass
class ApiPrincipal:
    token: ApiToken
    user: User
    organisation: Organisation = field(init=False)

    def __post_init__(self) -> None:
        self.organisation = self.token.organisation

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.token.scopes)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @cached_property
    def restricted_inbox_ids(self) -> frozenset[int] | None:
        """The inboxes the token is restricted to; None: every inbox. One query, once."""
        ids = frozenset(self.token.inboxes.values_list("id", flat=True))
        return ids or None

    def inbox_filter(self, field_name: str = "inbox_id") -> dict[str, Any]:
        """Keyword filter limiting a QuerySet to the token's inboxes ({} for all of them)."""
        ids = self.restricted_inbox_ids
        return {} if ids is None else {f"{field_name}__in": sorted(ids)}

    def sees_inbox(self, inbox_id: int) -> bool:
        ids = self.restricted_inbox_ids
        return ids is None or inbox_id in ids

    def visible_inboxes(self) -> Any:
        return Inbox.objects.filter(**self.inbox_filter("id"))
