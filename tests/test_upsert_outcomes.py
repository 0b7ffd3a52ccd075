"""contacts.upsert: each outcome of an item (created, updated, unchanged, error with field
errors, ambiguous with candidates), the matching order, tags, identities, consent and the
dry run."""

import pytest

from contacts.consent import Consent
from contacts.models import AttributeDefinition, Contact, ContactEvent, Identity, Tag
from contacts.upsert import ConsentInput, UpsertItem, upsert_contacts
from tests.factories import ContactFactory, identity

pytestmark = pytest.mark.django_db


@pytest.fixture
def tier(organisation):
    return AttributeDefinition.objects.create(
        key="tier", label="Tier", type="choice", choices=["gold", "silver"], position=20
    )


@pytest.fixture
def upsert(organisation, ada):
    def run(*items, writer="agent", source="HubSpot sync", dry_run=False, actor=None):
        return upsert_contacts(
            organisation,
            list(items),
            actor=actor or ada,
            writer=writer,
            source=source,
            dry_run=dry_run,
        )

    return run


def test_a_new_item_creates_a_contact_with_identities_tags_and_attributes(upsert, tier):
    [result] = upsert(
        UpsertItem(
            external_id="4711",
            source_system="HubSpot",
            email=" Jana@Example.COM ",
            phone="0170 1234567",
            first_name="Jana",
            last_name="Nowak",
            company="Fischer KG",
            attributes={"tier": "gold", "job_title": "Einkauf"},
            tags=["VIP", "vip", "B2B"],
            ref="row-1",
        ),
        writer="crm",
    )

    assert result.status == "created", result
    assert result.ref == "row-1" and result.errors == {}
    contact = Contact.objects.get(pk=result.contact_id)
    assert (contact.first_name, contact.company, contact.job_title) == (
        "Jana",
        "Fischer KG",
        "Einkauf",
    )
    assert contact.attributes == {"tier": "gold"}
    assert contact.kind == "curated"
    assert contact.search_text == "jana nowak fischer kg"
    assert sorted(t.name for t in contact.tags.all()) == ["B2B", "VIP"]
    assert set(contact.identities.values_list("kind", "normalised", "source")) == {
        ("external_id", "hubspot:4711", "crm"),
        ("email", "jana@example.com", "crm"),
        ("phone", "+491701234567", "crm"),
    }
    [event] = ContactEvent.objects.filter(contact=contact)
    assert event.kind == "created"
    assert event.data["by"] == "HubSpot sync" and event.data["writer"] == "crm"
    assert event.data["changes"]["tier"] == [None, "gold"]
    assert contact.provenance["tier"]["by"] == "HubSpot sync"


def test_a_matching_item_updates_only_what_differs_and_an_identical_one_is_unchanged(upsert, tier):
    contact = ContactFactory(first_name="Jana", last_name="Nowak", company="")
    identity(contact, "email", "jana@example.com")

    [updated] = upsert(
        UpsertItem(email="JANA@example.com", first_name="Jana", company="Fischer KG", tags=["VIP"])
    )
    [unchanged] = upsert(
        UpsertItem(email="jana@example.com", first_name="Jana", company="Fischer KG", tags=["vip"])
    )

    assert (updated.status, updated.contact_id) == ("updated", contact.pk)
    assert (unchanged.status, unchanged.contact_id) == ("unchanged", contact.pk)
    contact.refresh_from_db()
    assert contact.company == "Fischer KG" and contact.version == 2
    assert [t.name for t in contact.tags.all()] == ["VIP"]
    [event] = ContactEvent.objects.filter(contact=contact)
    assert event.kind == "updated"
    assert event.data["changes"] == {"company": ["", "Fischer KG"], "tags": [[], ["VIP"]]}


def test_field_errors_are_per_item_and_the_other_items_are_still_written(upsert, tier):
    results = upsert(
        UpsertItem(email="not-an-address", ref="a"),
        UpsertItem(phone="12", ref="b"),
        UpsertItem(email="ok@example.com", attributes={"tier": "platinum"}, ref="c"),
        UpsertItem(email="ok2@example.com", attributes={"shoe_size": 44}, ref="d"),
        UpsertItem(email="ok3@example.com", first_name="x" * 101, ref="e"),
        UpsertItem(first_name="Nobody", ref="f"),
        UpsertItem(email="fine@example.com", first_name="Fine", ref="g"),
    )

    by_ref = {r.ref: r for r in results}
    assert all(by_ref[ref].status == "error" for ref in "abcdef")
    assert "email" in by_ref["a"].errors
    assert "phone" in by_ref["b"].errors
    assert "attributes.tier" in by_ref["c"].errors
    assert "attributes.shoe_size" in by_ref["d"].errors
    assert "first_name" in by_ref["e"].errors
    assert "" in by_ref["f"].errors
    assert by_ref["g"].status == "created"
    assert list(Contact.objects.values_list("first_name", flat=True)) == ["Fine"]


def test_attribute_types_follow_their_definitions(upsert, organisation):
    AttributeDefinition.objects.create(key="since", label="Since", type="date")
    AttributeDefinition.objects.create(key="score", label="Score", type="number")
    AttributeDefinition.objects.create(key="vip", label="VIP", type="boolean")

    good, bad = upsert(
        UpsertItem(
            email="a@example.com", attributes={"since": "2024-02-01", "score": "4,5", "vip": "yes"}
        ),
        UpsertItem(
            email="b@example.com",
            attributes={"since": "01.02.2024", "score": "viel", "vip": "maybe"},
        ),
    )

    assert good.status == "created"
    assert Contact.objects.get(pk=good.contact_id).attributes == {
        "since": "2024-02-01",
        "score": "4.5",
        "vip": True,
    }
    assert set(bad.errors) == {"attributes.since", "attributes.score", "attributes.vip"}


def test_several_matches_are_ambiguous_with_the_candidates_and_nothing_is_merged(upsert):
    jana = ContactFactory(first_name="Jana")
    identity(jana, "email", "jana@example.com")
    other = ContactFactory(first_name="Other")
    identity(other, "phone", "+491701234567")

    [result] = upsert(UpsertItem(email="jana@example.com", phone="0170 1234567", first_name="J"))

    assert result.status == "error"
    assert result.candidates == sorted([jana.pk, other.pk])
    assert "Ambiguous" in result.errors[""][0]
    assert Contact.objects.count() == 2
    jana.refresh_from_db()
    assert jana.first_name == "Jana"
    assert not ContactEvent.objects.exists()


def test_a_number_held_by_two_contacts_is_ambiguous_unless_an_earlier_identifier_decides(upsert):
    by_phone = ContactFactory()
    identity(by_phone, "phone", "+491701234567")
    by_whatsapp = ContactFactory()
    identity(by_whatsapp, "whatsapp", "+491701234567")
    identity(by_whatsapp, "email", "wa@example.com")

    [alone] = upsert(UpsertItem(phone="+49 170 1234567"))
    [decided] = upsert(UpsertItem(email="wa@example.com", phone="+49 170 1234567", company="W"))

    assert alone.status == "error"
    assert alone.candidates == sorted([by_phone.pk, by_whatsapp.pk])
    assert (decided.status, decided.contact_id) == ("updated", by_whatsapp.pk), decided


def test_matching_order_is_external_id_then_email_then_phone(upsert):
    by_external = ContactFactory(first_name="External")
    identity(by_external, "external_id", "hubspot:4711")
    by_email = ContactFactory(first_name="Email")
    identity(by_email, "email", "e@example.com")
    by_phone = ContactFactory(first_name="Phone")
    identity(by_phone, "phone", "+491701234567")

    results = upsert(
        UpsertItem(external_id="4711", source_system="hubspot", ref="ext"),
        UpsertItem(external_id="9", source_system="hubspot", email="E@example.com", ref="email"),
        UpsertItem(external_id="10", source_system="hubspot", phone="0170 1234567", ref="phone"),
        UpsertItem(external_id="4711", source_system="other-crm", ref="other system"),
    )

    by_ref = {r.ref: r for r in results}
    assert by_ref["ext"].contact_id == by_external.pk and by_ref["ext"].status == "unchanged"
    # A new external id lands on the contact found by e-mail, then by phone.
    assert (by_ref["email"].contact_id, by_ref["email"].status) == (by_email.pk, "updated")
    assert (by_ref["phone"].contact_id, by_ref["phone"].status) == (by_phone.pk, "updated")
    assert Identity.objects.filter(contact=by_email, normalised="hubspot:9").exists()
    # The same id in another system is another identifier.
    assert by_ref["other system"].status == "created"


def test_an_external_id_that_finds_a_contact_whose_email_is_someone_elses_is_ambiguous(upsert):
    by_external = ContactFactory()
    identity(by_external, "external_id", "crm:1")
    by_email = ContactFactory()
    identity(by_email, "email", "e@example.com")

    [result] = upsert(UpsertItem(external_id="1", source_system="crm", email="e@example.com"))

    assert result.status == "error"
    assert result.candidates == sorted([by_external.pk, by_email.pk])


def test_two_items_for_one_new_contact_in_a_batch_create_it_once(upsert):
    first, second = upsert(
        UpsertItem(email="new@example.com", first_name="New", ref="1"),
        UpsertItem(email="NEW@example.com", first_name="Again", ref="2"),
    )

    assert first.status == "created"
    assert second.status == "error" and "earlier item" in second.errors[""][0]
    assert Contact.objects.count() == 1


def test_two_items_for_one_existing_contact_write_it_once_with_one_event(upsert):
    contact = ContactFactory(first_name="Jana")
    identity(contact, "email", "jana@example.com")
    identity(contact, "phone", "+491701234567")

    first, second = upsert(
        UpsertItem(email="jana@example.com", company="A"),
        UpsertItem(phone="+491701234567", last_name="Nowak"),
    )

    assert (first.status, second.status) == ("updated", "updated")
    contact.refresh_from_db()
    assert (contact.company, contact.last_name) == ("A", "Nowak")
    assert ContactEvent.objects.filter(contact=contact).count() == 1


def test_the_dry_run_answers_the_same_and_writes_nothing(upsert, tier):
    contact = ContactFactory(first_name="Jana", company="")
    identity(contact, "email", "jana@example.com")
    items = [
        UpsertItem(email="jana@example.com", company="Fischer KG", tags=["VIP"], ref="u"),
        UpsertItem(email="neu@example.com", first_name="Neu", ref="c"),
        UpsertItem(email="bad", ref="e"),
    ]

    dry = upsert(*items, dry_run=True)

    assert [(r.ref, r.status) for r in dry] == [("u", "updated"), ("c", "created"), ("e", "error")]
    assert dry[1].contact_id is None
    assert Contact.objects.count() == 1
    assert not ContactEvent.objects.exists() and not Tag.objects.exists()
    contact.refresh_from_db()
    assert contact.company == "" and contact.version == 1

    real = upsert(*items)
    assert [(r.ref, r.status) for r in real] == [(r.ref, r.status) for r in dry]


def test_consent_needs_its_basis_and_source(upsert):
    without, granted, no_evidence = upsert(
        UpsertItem(email="a@example.com", consent=ConsentInput(channel="email"), ref="a"),
        UpsertItem(
            phone="+491701234567",
            consent=ConsentInput(
                channel="sms",
                basis="consent",
                source="crm",
                evidence="Double opt-in form, 2024-02-01",
            ),
            ref="b",
        ),
        UpsertItem(
            email="c@example.com",
            consent=ConsentInput(channel="email", basis="consent", source="crm"),
            ref="c",
        ),
    )

    assert without.status == "created"
    assert any("basis" in w for w in without.warnings)
    assert granted.status == "created" and granted.warnings == []
    assert no_evidence.status == "error" and "consent.evidence" in no_evidence.errors
    [consent] = Consent.objects.all()
    assert (consent.identity.kind, consent.purpose, consent.state, consent.source) == (
        "phone",
        "marketing_sms",
        "granted",
        "crm",
    )
    assert consent.evidence == "Double opt-in form, 2024-02-01"
    # The same consent sent again records nothing new.
    [again] = upsert(
        UpsertItem(
            phone="+491701234567",
            consent=ConsentInput(
                channel="sms", basis="consent", source="crm", evidence="Double opt-in form"
            ),
        )
    )
    assert again.status == "unchanged"
    assert Consent.objects.count() == 1


def test_more_than_a_thousand_items_are_refused(upsert):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        upsert(*[UpsertItem(email=f"{i}@example.com") for i in range(1001)])


def test_a_null_character_is_a_field_error_not_a_failed_batch(upsert, tier):
    bad, good = upsert(
        UpsertItem(email="a@example.com", first_name="Ja\x00na", attributes={"tier": "go\x00ld"}),
        UpsertItem(email="b@example.com", first_name="Jana"),
    )

    assert bad.status == "error"
    assert set(bad.errors) == {"first_name", "attributes.tier"}
    assert good.status == "created"
