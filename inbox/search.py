"""Searching the conversation list: by the contact's name or company, the sender's address,
or the text of any message — the newest matches first, complete across pages.

Each source finds its own newest matches after the page's cursor, through its own index:
contacts through the partial trigram index (only contacts not merged away, the condition
that index is built with), addresses through the address index, message text through the
full-text index (PostgreSQL; LIKE on SQLite). The page is the newest `per_page + 1` of their
union, which is exactly the union's page: every row of it is among its own source's newest.

A source with few matches (a rare word, a rare name) is looked up by those matches and
sorted; one with many (a common word) walks the conversations newest first and stops at
the page. The probe that decides is bounded (`PROBE`), so neither case reads everything.
Message text is probed first for the words as typed or stemmed, then, only if those are
few, also as prefixes: for a common word the prefix expansion is what makes the index
read slow (12 ms of 14 for "danke" at 1M messages), and the words alone already say
"many".
"""

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Exists, Expression, OuterRef, QuerySet

from contacts.identities import looks_like_phone
from contacts.models import Contact
from inbox.models import Conversation, Message
from lib.pagination import Page, after_cursor, page_of

# More matching rows than this: the source walks the list newest first instead.
PROBE = 500
TERM = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 8


def search_page(
    conversations: QuerySet[Conversation],
    query: str,
    *,
    ordering: tuple[str, ...],
    cursor: str | None,
    per_page: int,
) -> Page[Conversation]:
    """The page after `cursor` of `conversations` (already scoped, filtered and joined for
    the rows) that match `query`. Raises InvalidCursor for a forged cursor.

    Each source yields the sort keys (last_message_at, id) of its newest matches; the page's
    rows are then read in one query by id."""
    base = after_cursor(conversations, ordering=ordering, cursor=cursor)
    keys: set[tuple[Any, int]] = set()
    for source in _sources(base, query):
        keys.update(_newest(source, per_page + 1))
    top = sorted(keys, reverse=True)[: per_page + 1]
    rows = {row.pk: row for row in base.filter(pk__in=[pk for _at, pk in top])}
    ordered = [rows[pk] for _at, pk in top if pk in rows]
    return page_of(ordered, ordering=ordering, per_page=per_page)


def _newest(source: "Source", limit: int) -> list[tuple[Any, int]]:
    """The sort keys of a source's newest `limit` matches. A few candidates (`Few`) are read
    whole, unordered, through their own index and sorted here: ordering them in SQL with a
    LIMIT tempts the planner into walking the whole list by recency. Many (a queryset) are
    walked newest first and stop at the limit."""
    if isinstance(source, Few):
        rows = source.candidates.order_by().values_list("last_message_at", "pk")
        return sorted(rows, reverse=True)[:limit]
    return list(
        source.order_by("-last_message_at", "-id").values_list("last_message_at", "pk")[:limit]
    )


@dataclass(frozen=True)
class Few:
    """Candidates few enough (at most PROBE) to read all of them."""

    candidates: QuerySet[Conversation]


Source = Few | QuerySet[Conversation]


def matching(conversations: QuerySet[Conversation], query: str) -> QuerySet[Conversation]:
    """`conversations` that match `query`, as one filter: for small sets (the live poll's
    changed rows), where no source needs to stop early."""
    contacts = _contacts(query).values("pk")
    condition = _text_condition(query)
    matches = conversations.filter(contact_id__in=contacts) | conversations.filter(
        address__icontains=_address(query)
    )
    if condition is not None:
        matches = matches | conversations.filter(Exists(condition))
    return matches


def _sources(base: QuerySet[Conversation], query: str) -> list[Source]:
    sources = [_by_contact(base, query), _by_address(base, query)]
    by_text = _by_text(base, query)
    if by_text is not None:
        sources.append(by_text)
    return sources


def _contacts(query: str) -> QuerySet[Contact]:
    return Contact.objects.active().search(query)


def _by_contact(base: QuerySet[Conversation], query: str) -> Source:
    ids = list(_contacts(query).order_by().values_list("pk", flat=True)[: PROBE + 1])
    if len(ids) <= PROBE:
        return Few(base.filter(contact_id__in=ids))
    # A common name: walk the conversations newest first, checking each one's contact.
    return base.filter(contact__in=_contacts(query))


def _address(query: str) -> str:
    """What of the sender's address a query names: a phone number's digits in any form
    ("0170 2222222", "+49 170…", "2222222" all find +491702222222), else the text itself
    (e-mail addresses and their parts)."""
    text = query.strip().lower()
    if looks_like_phone(text):
        return re.sub(r"\D", "", text).lstrip("0")
    return text


def _by_address(base: QuerySet[Conversation], query: str) -> Source:
    part = _address(query)
    ids = list(
        Conversation.objects.filter(address__icontains=part).values_list("pk", flat=True)[
            : PROBE + 1
        ]
    )
    if len(ids) <= PROBE:
        return Few(base.filter(pk__in=ids))
    return base.filter(address__icontains=part)


def _text_condition(query: str) -> Any:
    """Messages of OuterRef("pk") whose text matches `query`, or None when it has no words."""
    terms = TERM.findall(query.lower())[:MAX_TERMS]
    if not terms:
        return None
    messages = Message.objects.filter(conversation=OuterRef("pk"))
    if connection.vendor != "postgresql":
        for term in terms:
            messages = messages.filter(body__icontains=term)
        return messages
    sql, params = _tsquery(terms, query)
    return messages.filter(_search_matches(sql, params))


def _by_text(base: QuerySet[Conversation], query: str) -> Source | None:
    terms = TERM.findall(query.lower())[:MAX_TERMS]
    if not terms:
        return None
    if connection.vendor != "postgresql":
        return base.filter(Exists(_text_condition(query)))
    sql, params = _tsquery(terms, query)
    # The words alone match a subset of what they match as prefixes too: more than PROBE
    # of those is "many" already, and the prefix probe is needed only when they are few.
    hits = _through_the_index(_probe(*_tsquery(terms, query, prefixes=False)), _probe(sql, params))
    if len(hits) <= PROBE:
        return Few(base.filter(pk__in=set(hits)))
    # A common word: walk the conversations newest first, checking each one's messages.
    messages = Message.objects.filter(conversation=OuterRef("pk")).filter(
        _search_matches(sql, params)
    )
    return base.filter(Exists(messages))


def _probe(tsquery_sql: str, params: list[str]) -> Any:
    """The conversations of up to PROBE + 1 messages matching the tsquery, unordered."""
    return (
        Message.objects.filter(_search_matches(tsquery_sql, params))
        .order_by()
        .values_list("conversation_id", flat=True)[: PROBE + 1]
    )


def _through_the_index(*probes: Any) -> list[int]:
    """Run bounded probes in turn through the full-text index and return the hits of the
    first with more than PROBE, else of the last. With a LIMIT, PostgreSQL likes to scan the
    table instead, expecting to find the limit's rows early — for a rare word it then reads
    all million messages to find none (0.4 s); the index answers in a millisecond either
    way, so the sequential scan is switched off for these queries."""
    hits: list[int] = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for probe in probes:
            hits = list(probe)
            if len(hits) > PROBE:
                break
        cursor.execute("SET LOCAL enable_seqscan = on")
    return hits


def _tsquery(terms: list[str], query: str, *, prefixes: bool = True) -> tuple[str, list[str]]:
    """Every word as typed or as a prefix of a longer one (`simple`), or any word stemmed in
    one of the three languages: "Lieferungen" finds "Lieferung", "rech" finds "Rechnung".
    Without `prefixes`, the words as typed (not as prefixes) or stemmed."""
    words = " & ".join(f"{term}:*" if prefixes else term for term in terms)
    sql = (
        "(to_tsquery('simple', %s) || plainto_tsquery('german', %s)"
        " || plainto_tsquery('swedish', %s) || plainto_tsquery('english', %s))"
    )
    return sql, [words, query, query, query]


class _SearchMatches(Expression):
    """`<message table>.search @@ <tsquery>`, usable in filter() — also inside a subquery,
    where Django renames the table (the generated column is not a model field, so no
    lookup can name it)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, tsquery_sql: str, params: list[str]) -> None:
        super().__init__()
        self.tsquery_sql, self.params = tsquery_sql, params

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        alias = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"{alias}.search @@ {self.tsquery_sql}", list(self.params)


def _search_matches(tsquery_sql: str, params: list[str]) -> _SearchMatches:
    return _SearchMatches(tsquery_sql, params)
