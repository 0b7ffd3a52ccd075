"""Synthetic conversations for benchmarks (`seed_demo --conversations N --messages-per M`):
bulk volume in the demo inboxes from existing contacts' addresses, COPY on PostgreSQL (100,000
conversations with a million messages in minutes), bulk_create elsewhere; no events.
"""

import functools
import random
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import OutputWrapper
from django.db import connection, transaction
from django.utils import timezone

from contacts.models import Identity
from demo.inbox import CHANNEL_OF_KIND, PROVIDER, SCENARIOS, seed_inboxes
from demo.synthetic_contacts import generate_contacts
from inbox.actions import next_numbers
from inbox.language import guess_language
from inbox.models import (
    Conversation,
    DeliveryStatus,
    Inbox,
    Membership,
    Message,
)
from lib.bulk import copy_rows, reserve_ids

BATCH = 5_000  # conversations per transaction (about 50,000 messages)
CONVERSATION_COLUMNS = (
    "id", "inbox_id", "contact_id", "identity_id", "channel", "address", "number", "status",
    "assignee_id", "subject", "last_message_at", "last_message_preview", "waiting_since",
    "created_at", "updated_at",
    # Constant for every synthetic conversation, appended when a row is written:
    "contact_state", "candidate_ids", "is_flagged",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "conversation_id", "direction", "body", "author_id", "provider", "provider_message_id",
    "status", "created_at", "language",
    # Constant (the last five, given only to COPY):
    "html", "error", "is_flagged", "error_code", "attempts",
)  # fmt: skip


def generate_conversations(
    count: int, *, messages_per: int = 10, stdout: OutputWrapper | None = None
) -> tuple[int, int]:
    """Add `count` conversations with about `messages_per` messages each (exponentially
    distributed, at least one), spread over the last year, in the demo inboxes, from
    existing contacts' addresses (a few thousand synthetic contacts are generated first
    when there are none). About 70% are resolved, 10% pending and 20% open, half of those
    assigned. Numbers come from inbox.actions.next_numbers, taken once for all. COPY on
    PostgreSQL, bulk_create elsewhere; no events. Returns (conversations, messages)."""
    inboxes = list(seed_inboxes().values())
    members = {
        inbox.pk: list(Membership.objects.filter(inbox=inbox).values_list("user_id", flat=True))
        for inbox in inboxes
    }
    senders = _bulk_senders(count)
    numbers = next_numbers(count)
    texts = [turn for scenario in SCENARIOS for turns in scenario[3].values() for turn in turns]
    inbound = [text for text in texts if not text.startswith(">")]
    outbound = [text[1:] for text in texts if text.startswith(">")]
    now = timezone.now()
    added = messages = 0
    while added < count:
        size = min(BATCH, count - added)
        rng = random.Random(numbers[added])  # noqa: S311 - demo data, not secrets
        with transaction.atomic():
            ids = reserve_ids(Conversation, size)
            conversations, rows = [], []
            for offset, conversation_id in enumerate(ids):
                inbox = inboxes[rng.randrange(len(inboxes))]
                conversation, thread = _synthetic_conversation(
                    rng, conversation_id, numbers[added + offset], inbox,
                    members[inbox.pk], rng.choice(senders), messages_per, now, inbound, outbound,
                )  # fmt: skip
                conversations.append(conversation)
                rows.extend(thread)
            _insert(conversations, rows)
        added += size
        messages += len(rows)
        if stdout and added % 20_000 < size:
            stdout.write(f"  {added:,} of {count:,} conversations ({messages:,} messages)")
    if stdout:
        stdout.write(f"Added {added:,} synthetic conversations with {messages:,} messages.")
    return added, messages


# The synthetic bodies come from a short list: guess each one's language once.
_body_language = functools.lru_cache(maxsize=1024)(guess_language)


def _synthetic_conversation(
    rng: random.Random,
    conversation_id: int,
    number: int,
    inbox: Inbox,
    members: list[int],
    sender: tuple[int, int, str, str],
    messages_per: int,
    now: datetime,
    inbound: list[str],
    outbound: list[str],
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    contact_id, identity_id, channel, address = sender
    length = max(1, round(rng.expovariate(1 / messages_per)))
    at = now - timedelta(seconds=rng.randrange(365 * 86400))
    roll = rng.random()
    status = "resolved" if roll < 0.7 else "pending" if roll < 0.8 else "open"
    assignee = rng.choice(members) if members and (status != "open" or rng.random() < 0.5) else None
    thread, waiting_since, direction = [], None, "in"
    for position in range(length):
        if at > now:
            break
        if direction == "in":
            body, author, state = rng.choice(inbound), None, DeliveryStatus.RECEIVED.value
            waiting_since = waiting_since or at
        else:
            body, author, state = rng.choice(outbound), assignee, DeliveryStatus.DELIVERED.value
            waiting_since = None
        key = f"bulk-{conversation_id}-{position}"
        thread.append(
            (
                conversation_id,
                direction,
                body,
                author,
                PROVIDER,
                key,
                state,
                at,
                _body_language(body),
            )
        )
        last_at, last_body = at, body
        at += timedelta(seconds=rng.randrange(60, 6 * 3600))
        direction = "out" if direction == "in" and rng.random() < 0.8 else "in"
    subject = "" if channel != "email" else rng.choice(SCENARIOS)[2]
    row = (
        conversation_id, inbox.pk, contact_id, identity_id, channel, address, number, status,
        assignee, subject, last_at, last_body[:140],
        None if status == "resolved" else waiting_since, thread[0][7], last_at,
    )  # fmt: skip
    return row, thread


def _bulk_senders(count: int) -> list[tuple[int, int, str, str]]:
    """(contact id, identity id, channel, normalised address) of existing identities: up
    to one per ten conversations, so that a contact has a few conversations each."""
    wanted = max(100, count // 10)
    rows = list(
        Identity.objects.filter(kind__in=CHANNEL_OF_KIND)
        .order_by("-id")
        .values_list("contact_id", "id", "kind", "normalised")[:wanted]
    )
    if len(rows) < min(wanted, 1_000):
        generate_contacts(min(wanted, 20_000) - len(rows))
        return _bulk_senders(count) if Identity.objects.exists() else []
    return [(contact, pk, CHANNEL_OF_KIND[kind], value) for contact, pk, kind, value in rows]


def _insert(conversations: list[tuple[Any, ...]], messages: list[tuple[Any, ...]]) -> None:
    if connection.vendor == "postgresql":
        copy_rows(
            Conversation._meta.db_table,
            CONVERSATION_COLUMNS,
            ((*r, "linked", "[]", False) for r in conversations),
        )
        copy_rows(
            Message._meta.db_table, MESSAGE_COLUMNS, ((*r, "", "", False, "", 0) for r in messages)
        )
        return
    fields = CONVERSATION_COLUMNS[:-3]
    Conversation.objects.bulk_create(
        (Conversation(**dict(zip(fields, row, strict=True))) for row in conversations),
        batch_size=1_000,
    )
    message_fields = MESSAGE_COLUMNS[:-5]
    Message.objects.bulk_create(
        (Message(**dict(zip(message_fields, row, strict=True))) for row in messages),
        batch_size=1_000,
    )
