"""The contact list renders plain rows (api.contact_rows): every item must be exactly what
`GET /api/v1/contacts/{id}` answers for the same contact, and the page keeps its cursor."""

import pytest

from contacts.models import Tag
from tests.factories import ContactFactory, identity

pytest_plugins = ["tests.api_fixtures"]
pytestmark = pytest.mark.django_db
CONTACTS = "/api/v1/contacts"


def test_every_list_item_equals_the_contact_s_own_answer(api_for):
    api = api_for()
    rich = ContactFactory(attributes={"customer_tier": "gold"}, company="Nordlicht & Söhne")
    identity(rich, "phone", "+49 151 23456789")
    identity(rich, "email", "Eva.Berg@Example.org")
    for name in ("vip", "Bestand", "Ärger"):
        rich.tags.add(Tag.objects.get_or_create(name=name)[0])
    bare = ContactFactory(first_name="", last_name="")
    ContactFactory(merged_into=rich)  # folded into another: never listed

    listed = api.get(CONTACTS, limit=50).json()
    assert [item["id"] for item in listed["items"]] == sorted([rich.pk, bare.pk])
    for item in listed["items"]:
        assert item == api.get(f"{CONTACTS}/{item['id']}").json()
    rich_item = next(i for i in listed["items"] if i["id"] == rich.pk)
    assert rich_item["tags"] == sorted(["vip", "Bestand", "Ärger"], key=str.lower)
    assert {i["kind"] for i in rich_item["identities"]} == {"phone", "email"}


def test_cursor_pages_of_rows_walk_every_contact_once(api_for):
    api = api_for()
    contacts = [ContactFactory() for _ in range(7)]
    seen, body = [], api.get(CONTACTS, limit=3).json()
    while True:
        seen += [item["id"] for item in body["items"]]
        if not body["next_cursor"]:
            break
        body = api.get(CONTACTS, limit=3, cursor=body["next_cursor"]).json()
    assert seen == [c.pk for c in sorted(contacts, key=lambda c: (c.updated_at, c.pk))]
