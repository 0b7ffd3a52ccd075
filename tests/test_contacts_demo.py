"""seed_demo's contacts: a hand-made set created once, and synthetic ones for scale tests."""

from datetime import timedelta

import phonenumbers
from django.core.management import call_command
from django.db.models import Max, Min
from django.utils import timezone

from contacts.consent import Consent
from contacts.identities import PHONE_KINDS, normalise
from contacts.models import Contact, ContactEvent, ContactKind, Identity, Note
from inbox.models import Direction, Message


def snapshot() -> dict[str, object]:
    return {
        "contacts": sorted(Contact.objects.values_list("id", "version", "updated_at")),
        "identities": sorted(Identity.objects.values_list("id", "kind", "normalised")),
        "notes": sorted(Note.objects.values_list("id", "body")),
        "tags": sorted(Contact.tags.through.objects.values_list("contact_id", "tag_id")),
    }


def test_seed_demo_creates_contacts_with_identities_ephemerals_and_duplicates(db, settings):
    settings.DEBUG = True

    call_command("seed_demo")

    contacts = Contact.objects.all()
    assert 35 <= contacts.count() <= 45
    several = [c for c in contacts if c.identities.count() >= 2]
    assert len(several) >= 25
    ephemeral = contacts.filter(kind=ContactKind.EPHEMERAL)
    assert 3 <= ephemeral.count() <= 5
    for contact in ephemeral:
        assert contact.expires_at > timezone.now()
        assert [i.kind for i in contact.identities.all()] == ["phone"]
    assert contacts.filter(last_name="Müller", first_name__in=["Jana", "J."]).count() == 2
    assert contacts.filter(first_name="Lars", last_name__in=["Andersson", "Anderson"]).count() == 2
    # A family's landline both Brandts hold: a message from it matches both.
    landline = Identity.objects.filter(normalised="+494038612740")
    assert sorted(landline.values_list("contact__first_name", "shared")) == [
        ("Peter", True),
        ("Ulrike", True),
    ]
    assert Identity.objects.filter(kind="whatsapp").exists()
    assert Note.objects.filter(author__email="anna@nordlicht.example").exists()
    assert Contact.objects.filter(tags__name="VIP").exists()
    for identity in Identity.objects.all():
        assert identity.normalised == normalise(identity.kind, identity.value)
        if identity.kind in PHONE_KINDS:
            assert phonenumbers.is_valid_number(phonenumbers.parse(identity.normalised))


def test_seed_demo_twice_changes_no_contact(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    before = snapshot()

    call_command("seed_demo")

    assert snapshot() == before


def test_seed_demo_adds_synthetic_contacts_with_valid_unique_identities(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    demo_ids = set(Contact.objects.values_list("id", flat=True))

    call_command("seed_demo", "--contacts", "50")
    call_command("seed_demo", "--contacts", "50")

    synthetic = Contact.objects.exclude(id__in=demo_ids)
    assert synthetic.count() == 100
    identities = Identity.objects.filter(contact__in=synthetic)
    for contact in synthetic.prefetch_related("identities"):
        assert contact.search_text == contact.compute_search_text()
        assert 1 <= len(contact.identities.all()) <= 3
        if contact.kind == ContactKind.EPHEMERAL:
            assert contact.expires_at > timezone.now()
            assert not contact.search_text
    for identity in identities:
        assert identity.normalised == normalise(identity.kind, identity.value)
        if identity.kind in PHONE_KINDS:
            assert phonenumbers.is_valid_number(phonenumbers.parse(identity.normalised))
    pairs = list(Identity.objects.filter(shared=False).values_list("kind", "normalised"))
    assert len(pairs) == len(set(pairs))
    assert {"email", "phone"} <= set(identities.values_list("kind", flat=True))
    assert set(synthetic.values_list("kind", flat=True)) >= {"identified", "curated"}


def test_seed_demo_contacts_exist_before_their_conversations_and_consents(db, settings):
    """Not every contact "created today": a curated contact was made weeks before its first
    conversation or consent, an identified or unknown sender's contact by its first message
    (unknown senders' expire EPHEMERAL_CONTACT_DAYS later); identifiers were first seen at
    the contact's creation and last seen at its last message, notes came after the first
    conversation, and the last activity is the last message."""
    settings.DEBUG = True
    call_command("seed_demo")
    now = timezone.now()

    contacts = Contact.objects.annotate(first_conversation=Min("conversations__created_at"))
    assert contacts.count() >= 40
    assert not contacts.filter(created_at__gte=now - timedelta(days=1)).exists()
    consents = dict(
        Consent.objects.values("identity__contact")
        .annotate(at=Min("at"))
        .values_list("identity__contact", "at")
        .order_by()
    )
    inbound = Message.objects.filter(direction=Direction.INBOUND)
    last_inbound = dict(
        inbound.values("conversation__contact")
        .annotate(at=Max("created_at"))
        .values_list("conversation__contact", "at")
        .order_by()
    )
    for contact in contacts:
        earliest = [contact.first_conversation, consents.get(contact.pk)]
        first = min(filter(None, earliest), default=now)
        assert contact.created_at <= first, contact
        if contact.kind == ContactKind.CURATED:
            assert first - contact.created_at >= timedelta(days=14)
        if contact.kind == ContactKind.EPHEMERAL:
            assert contact.pk not in consents
            if contact.first_conversation:
                assert contact.created_at == contact.first_conversation
            lifetime = timedelta(days=settings.EPHEMERAL_CONTACT_DAYS)
            assert contact.expires_at == contact.created_at + lifetime > now
        assert contact.last_activity_at == last_inbound.get(contact.pk, contact.created_at)
        assert contact.updated_at <= now
        created = ContactEvent.objects.get(contact=contact, kind=ContactEvent.Kind.CREATED)
        assert created.created_at == contact.created_at
        for identity in contact.identities.all():
            assert identity.first_seen_at == contact.created_at <= identity.last_seen_at <= now
        for note in Note.objects.filter(contact=contact):
            assert (contact.first_conversation or contact.created_at) < note.created_at <= now
