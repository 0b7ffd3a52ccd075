"""lib.bulk_copy: COPY on PostgreSQL gives the same rows and primary keys as bulk_create."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.consent import Consent
from contacts.identities import IdentityKind
from contacts.models import Contact, ContactEvent, ContactKind, Identity
from lib.bulk_copy import copy_create

pytestmark = pytest.mark.django_db


def test_rows_keys_json_enums_and_related_objects_written_as_bulk_create_would(ada):
    contacts = [
        Contact(first_name=f"Åsa {n}", last_name='O\'Brien\t\\ "x"', kind=ContactKind.CURATED)
        for n in range(3)
    ]
    contacts[0].attributes = {"tier": "gold", "nested": {"list": [1, 2], "text": "a\nb"}}
    copy_create(Contact, contacts)
    assert all(c.pk for c in contacts) and not any(c._state.adding for c in contacts)
    assert len({c.pk for c in contacts}) == 3
    stored = Contact.objects.get(pk=contacts[0].pk)
    assert stored.first_name == "Åsa 0" and stored.last_name == 'O\'Brien\t\\ "x"'
    assert stored.kind == "curated"
    assert stored.attributes == {"tier": "gold", "nested": {"list": [1, 2], "text": "a\nb"}}
    identity = Identity(
        contact=contacts[1],
        kind=IdentityKind.EMAIL,
        value="a@example.org",
        normalised="a@example.org",
    )
    copy_create(Identity, [identity])
    # A consent made while its identity was unsaved takes the identity's new id.
    consent = Consent(
        identity=identity, purpose="marketing_email", state="granted", basis="consent",
        source="crm", evidence="form", actor=ada, at=timezone.now(),
    )  # fmt: skip
    copy_create(Consent, [consent])
    assert Consent.objects.get(pk=consent.pk).identity.contact_id == contacts[1].pk
    # Sequences stay in step with ordinary inserts.
    later = Contact.objects.create(first_name="Later")
    assert later.pk > max(c.pk for c in contacts)


def test_the_copy_counts_as_a_query_and_an_empty_list_costs_none():
    with CaptureQueriesContext(connection) as queries:
        assert copy_create(ContactEvent, []) == []
    assert len(queries) == 0
    contact = Contact.objects.create(first_name="Eva")
    with CaptureQueriesContext(connection) as queries:
        copy_create(ContactEvent, [ContactEvent(contact=contact, kind="created", data={})])
    assert 1 <= len(queries) <= 2
    assert ContactEvent.objects.filter(contact=contact).count() == 1


def test_a_duplicate_address_raises_django_s_integrity_error():
    contact = Contact.objects.create(first_name="Eva")
    Identity.objects.create(
        contact=contact, kind=IdentityKind.EMAIL, value="e@example.org", normalised="e@example.org"
    )
    if not any(
        c.get("unique") and c.get("columns") == ["kind", "normalised"]
        for c in connection.introspection.get_constraints(
            connection.cursor(), Identity._meta.db_table
        ).values()
    ):
        pytest.skip("identifiers may be shared: no unique (kind, normalised) to violate")
    duplicate = Identity(
        contact=contact, kind=IdentityKind.EMAIL, value="e@example.org", normalised="e@example.org"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_create(Identity, [duplicate])
