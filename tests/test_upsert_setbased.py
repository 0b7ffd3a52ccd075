"""contacts.upsert is set-based: a fixed number of queries whatever the batch size, one
transaction per batch (an error rolls all of it back), one event per changed contact."""

import pytest
from django.db import DatabaseError, IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from contacts import upsert_write
from contacts.models import AttributeDefinition, Contact, ContactEvent, Identity
from contacts.upsert import BatchConflict, ConsentInput, UpsertItem, upsert_contacts
from lib import events
from lib.bulk_copy import copy_create
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db
# On PostgreSQL each COPY-written table (contacts, identities, consent, events) takes its ids
# from the sequence first: one query more per table than bulk_create (lib.bulk_copy).
MAX_QUERIES = 19
# SQLite caps a statement's parameters, so its bulk inserts of 1,000 rows come in batches.
POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite splits bulk inserts by its parameter cap"
)


@pytest.fixture
def tier(organisation):
    return AttributeDefinition.objects.create(
        key="tier", label="Tier", type="choice", choices=["gold", "silver"]
    )


@pytest.fixture
def batch_sinks(monkeypatch):
    """The registered sinks replaced by one with a batch form: what the engine emits, and
    what a sink that handles a batch at once costs (nothing per event)."""
    received: list[tuple[str, int]] = []

    def one(event):  # pragma: no cover - the batch form is used
        received.append((event.type, 1))

    def many(batch):
        received.append((batch[0].type, len(batch)))

    monkeypatch.setattr(events, "SINKS", [one])
    monkeypatch.setattr(events, "BATCH_SINKS", {one: many})
    return received


def items(n, *, offset=0, company="Fischer KG"):
    return [
        UpsertItem(
            external_id=str(offset + i),
            source_system="hubspot",
            email=f"person{offset + i}@example.com",
            phone=f"+4917012{offset + i:05d}",
            first_name=f"Person {offset + i}",
            company=company,
            attributes={"tier": "gold"},
            tags=["VIP", f"group-{i % 3}"],
            consent=ConsentInput(
                channel="email", basis="consent", source="crm", evidence="Web form"
            ),
            ref=str(i),
        )
        for i in range(n)
    ]


def run(organisation, actor, batch, **options):
    return upsert_contacts(
        organisation, batch, actor=actor, writer="crm", source="HubSpot sync", **options
    )


@POSTGRESQL_ONLY
def test_a_thousand_items_cost_the_same_few_queries_as_ten(organisation, ada, tier, batch_sinks):
    run(organisation, ada, items(3))  # the tags exist, the definitions are cached
    with CaptureQueriesContext(connection) as ten:
        run(organisation, ada, items(10, offset=10))
    with CaptureQueriesContext(connection) as thousand:
        results = run(organisation, ada, items(1000, offset=1000))

    assert {r.status for r in results} == {"created"}
    assert len(thousand.captured_queries) <= MAX_QUERIES, [
        q["sql"][:120] for q in thousand.captured_queries
    ]
    assert len(thousand.captured_queries) == len(ten.captured_queries)
    assert Contact.objects.count() == 1013
    assert Identity.objects.count() == 3 * 1013
    assert ("contact.created", 1000) in batch_sinks
    assert ("consent.changed", 1000) in batch_sinks


@POSTGRESQL_ONLY
def test_updating_a_thousand_costs_the_same_few_queries(organisation, ada, tier, batch_sinks):
    run(organisation, ada, items(1000, company=""))

    with CaptureQueriesContext(connection) as queries:
        results = run(organisation, ada, items(1000, company="Fischer KG"))
    with CaptureQueriesContext(connection) as unchanged:
        again = run(organisation, ada, items(1000, company="Fischer KG"))

    assert {r.status for r in results} == {"updated"}
    assert {r.status for r in again} == {"unchanged"}
    assert len(queries.captured_queries) <= MAX_QUERIES
    assert len(unchanged.captured_queries) <= MAX_QUERIES
    assert Contact.objects.filter(company="Fischer KG").count() == 1000


def test_one_event_per_changed_contact_and_none_for_an_unchanged_one(organisation, ada, tier):
    run(organisation, ada, items(3, company=""))
    ContactEvent.objects.all().delete()
    batch = items(3, company="")
    batch[1].company = "Neu GmbH"

    results = run(organisation, ada, batch)

    assert [r.status for r in results] == ["unchanged", "updated", "unchanged"]
    [event] = ContactEvent.objects.all()
    assert event.contact_id == results[1].contact_id
    assert event.kind == "updated"
    assert event.data["changes"] == {"company": ["", "Neu GmbH"]}


def test_a_database_error_rolls_the_whole_batch_back(organisation, ada, tier, monkeypatch):
    existing = ContactFactory(company="")
    Identity.objects.create(
        contact=existing,
        kind="email",
        value="person0@example.com",
        normalised="person0@example.com",
    )

    def broken(model, objs, **kwargs):
        if model is ContactEvent:
            raise DatabaseError("disk full")
        return copy_create(model, objs, **kwargs)

    monkeypatch.setattr(upsert_write, "copy_create", broken)

    with pytest.raises(DatabaseError):
        run(organisation, ada, items(5))

    assert Contact.objects.count() == 1
    assert Identity.objects.count() == 1
    existing.refresh_from_db()
    assert existing.company == "" and existing.attributes == {}


def test_an_address_stored_meanwhile_makes_a_conflict_and_writes_nothing(
    organisation, ada, tier, monkeypatch
):
    def taken(model, objs, **kwargs):
        if model is Identity:
            raise IntegrityError("duplicate key value violates unique constraint")
        return copy_create(model, objs, **kwargs)

    monkeypatch.setattr(upsert_write, "copy_create", taken)

    with pytest.raises(BatchConflict):
        run(organisation, ada, items(3))

    assert not Contact.objects.exists()


def test_the_dry_run_of_a_thousand_writes_nothing(organisation, ada, tier):
    with CaptureQueriesContext(connection) as queries:
        results = run(organisation, ada, items(1000), dry_run=True)

    assert {r.status for r in results} == {"created"}
    assert not Contact.objects.exists()
    assert not any(
        q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        for q in queries.captured_queries
    )
