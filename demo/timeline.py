"""The demo's contacts as their story goes: `seed_demo` creates them in one go, today, but
their conversations reach back a month and their marketing consents up to a year. Once the
hand-made conversations and campaigns exist, each contact gets the times that story implies:

- a curated contact was created by an agent weeks before its first conversation or consent;
- an identified or ephemeral contact was created by its first message (or, with an earlier
  consent, before that), and an ephemeral one expires EPHEMERAL_CONTACT_DAYS after that;
- its identifiers were first seen when it was created and last seen at its last message;
- its last activity is its last message, its notes were written after its first conversation.

Runs once, with the hand-made set: a second `seed_demo` changes nothing.
"""

import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from contacts.consent import Consent
from contacts.models import Contact, ContactEvent, ContactKind, Identity, Note
from inbox.models import Conversation, Direction, Message


@transaction.atomic
def settle_contact_times(contacts: list[int]) -> None:
    """Give the demo contacts with these ids the times their conversations imply."""
    rng = random.Random(20261130)  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    first_conversation = _by_contact(
        Conversation.objects.filter(contact__in=contacts), Min("created_at")
    )
    inbound = Message.objects.filter(
        direction=Direction.INBOUND, conversation__contact__in=contacts
    )
    last_message = _by_contact(inbound, Max("created_at"), through="conversation__contact")
    first_consent = _by_contact(
        Consent.objects.filter(identity__contact__in=contacts),
        Min("at"),
        through="identity__contact",
    )
    last_seen = dict(
        inbound.exclude(conversation__identity=None)
        .values("conversation__identity")
        .annotate(at=Max("created_at"))
        .values_list("conversation__identity", "at")
    )
    for contact in Contact.objects.filter(pk__in=contacts).order_by("id"):
        conversation = first_conversation.get(contact.pk)
        consent = first_consent.get(contact.pk)
        created = _created(rng, contact.kind, conversation, consent, now)
        fields: dict[str, object] = {
            "created_at": created,
            "updated_at": created,
            "last_activity_at": last_message.get(contact.pk, created),
        }
        if contact.kind == ContactKind.EPHEMERAL:
            fields["expires_at"] = created + timedelta(days=settings.EPHEMERAL_CONTACT_DAYS)
        Contact.objects.filter(pk=contact.pk).update(**fields)
        ContactEvent.objects.filter(contact=contact, kind=ContactEvent.Kind.CREATED).update(
            created_at=created
        )
        for identity in Identity.objects.filter(contact=contact):
            seen = last_seen.get(identity.pk, created)
            Identity.objects.filter(pk=identity.pk).update(first_seen_at=created, last_seen_at=seen)
        noted = min((conversation or created) + timedelta(hours=rng.randint(1, 6)), now)
        Note.objects.filter(contact=contact).update(created_at=noted)


def _created(
    rng: random.Random,
    kind: str,
    conversation: datetime | None,
    consent: datetime | None,
    now: datetime,
) -> datetime:
    if kind == ContactKind.EPHEMERAL:
        # Its first message created it (an unknown sender gives no consent); one that has
        # not written yet came in a day or two ago.
        return conversation or now - timedelta(days=rng.randint(1, 2), minutes=rng.randint(0, 600))
    earliest = min(filter(None, [conversation, consent]), default=None)
    if kind == ContactKind.CURATED or earliest is None or earliest == consent:
        # An agent made it (or an earlier message did) before anything else we have.
        back = timedelta(days=rng.randint(14, 120), minutes=rng.randint(0, 600))
        return (earliest or now) - back
    return earliest  # its first message created it


def _by_contact(queryset: Any, aggregate: Any, *, through: str = "contact") -> dict[int, datetime]:
    return dict(
        queryset.values(through).annotate(at=aggregate).values_list(through, "at").order_by()
    )
