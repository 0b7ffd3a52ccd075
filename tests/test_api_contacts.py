"""/api/v1/contacts: list with keyset pages and filters, get, create, change, delete (the
app's erasure and deletion log), identifiers, notes, attribute definitions, deletion log."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.models import AttributeDefinition, Contact, ContactEvent, DeletedContact, Note, Tag
from tests.factories import ContactFactory, identity, inbound, inbox_with

pytest_plugins = ["tests.api_fixtures"]
pytestmark = pytest.mark.django_db
CONTACTS = "/api/v1/contacts"


@pytest.fixture
def api(api_for):
    return api_for()


def test_a_contact_is_created_with_identities_tags_and_attributes(api):
    AttributeDefinition.objects.create(key="tier", label="Tier", type="choice", choices=["gold"])

    response = api.post(
        CONTACTS,
        {
            "first_name": "Jana",
            "last_name": "Nowak",
            "company": "Fischer KG",
            "job_title": "Einkauf",
            "tags": ["VIP", "B2B"],
            "attributes": {"tier": "gold"},
            "identities": [
                {"kind": "email", "value": " Jana@Example.COM "},
                {"kind": "phone", "value": "0170 1234567"},
            ],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["first_name"] == "Jana" and body["job_title"] == "Einkauf"
    assert body["kind"] == "curated"
    assert body["tags"] == ["B2B", "VIP"]
    assert body["attributes"] == {"tier": "gold"}
    assert {i["normalised"] for i in body["identities"]} == {"jana@example.com", "+491701234567"}
    assert {i["source"] for i in body["identities"]} == {"crm"}
    assert ContactEvent.objects.filter(contact_id=body["id"], kind="created").exists()


def test_a_bad_value_creates_nothing_and_names_the_field(api):
    AttributeDefinition.objects.create(key="tier", label="Tier", type="choice", choices=["gold"])

    response = api.post(
        CONTACTS,
        {"first_name": "Jana", "attributes": {"tier": "platinum"}},
    )

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "attributes.tier"
    assert not Contact.objects.exists()


def test_a_malformed_address_is_422_and_a_taken_one_409(api):
    owner = ContactFactory()
    identity(owner, "email", "taken@example.com")

    malformed = api.post(CONTACTS, {"identities": [{"kind": "phone", "value": "12"}]})
    taken = api.post(CONTACTS, {"identities": [{"kind": "email", "value": "TAKEN@example.com"}]})

    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "identities"
    assert taken.status_code == 409
    assert Contact.objects.count() == 1


def test_unknown_fields_and_wrong_types_are_422_naming_each_field(api):
    response = api.post(CONTACTS, {"first_name": 5, "shoe_size": 44})

    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"first_name", "shoe_size"}


def test_errors_for_people_are_in_the_token_creators_language(api_for, ada):
    ada.language = "de"
    ada.save(update_fields=["language"])
    client = api_for()

    response = client.post(CONTACTS, {"identities": [{"kind": "phone", "value": "12345"}]})

    assert response.status_code == 422
    assert response["Content-Language"] == "de"
    assert "Telefonnummer" in response.json()["errors"][0]["message"]


def test_a_contact_is_read_and_patched_field_by_field(api):
    contact = ContactFactory(first_name="Jana", company="Fischer KG")
    contact.tags.add(Tag.objects.create(name="alt"))

    patched = api.patch(f"{CONTACTS}/{contact.pk}", {"job_title": "Leitung", "tags": ["neu"]})
    got = api.get(f"{CONTACTS}/{contact.pk}")

    assert patched.status_code == 200, patched.content
    assert got.json()["job_title"] == "Leitung"
    assert got.json()["company"] == "Fischer KG"
    assert got.json()["tags"] == ["neu"]
    assert ContactEvent.objects.filter(contact=contact, kind="updated").exists()


def test_built_in_attributes_go_as_fields_and_read_only_ones_are_refused(api):
    contact = ContactFactory()
    AttributeDefinition.objects.create(key="erp_id", label="ERP", type="text", read_only=True)

    builtin = api.patch(f"{CONTACTS}/{contact.pk}", {"attributes": {"company": "x"}})
    read_only = api.patch(f"{CONTACTS}/{contact.pk}", {"attributes": {"erp_id": "4711"}})

    assert builtin.status_code == 422
    assert builtin.json()["errors"][0]["field"] == "attributes.company"
    assert read_only.status_code == 422
    assert read_only.json()["errors"][0]["field"] == "attributes.erp_id"


def test_an_unknown_or_merged_contact_is_404(api):
    survivor = ContactFactory()
    merged = ContactFactory(merged_into=survivor)

    for path in (f"{CONTACTS}/999999", f"{CONTACTS}/{merged.pk}"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["type"].endswith("/not-found")


def test_delete_goes_through_the_erasure_and_the_deletion_log(api_for, ada):
    inbox = inbox_with("A")
    message = inbound(inbox, address="+49 170 7654321")
    contact = message.conversation.contact
    client = api_for()

    response = client.delete(f"{CONTACTS}/{contact.pk}")

    assert response.status_code == 200, response.content
    record = DeletedContact.objects.get()
    assert response.json()["id"] == record.pk
    assert record.deleted_by == ada
    assert "7654321" not in record.hint
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert not type(message).objects.filter(pk=message.pk).exists()
    log = client.get("/api/v1/deleted-contacts").json()
    assert [item["id"] for item in log["items"]] == [record.pk]


def test_delete_needs_its_own_scope(api_for):
    contact = ContactFactory()
    client = api_for(scopes=["contacts:read", "contacts:write"])

    response = client.delete(f"{CONTACTS}/{contact.pk}")

    assert response.status_code == 403
    assert response.json()["scope"] == "contacts:delete"
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_identities_are_listed_added_and_removed(api):
    contact = ContactFactory()
    base = f"{CONTACTS}/{contact.pk}/identities"

    added = api.post(base, {"kind": "email", "value": "neu@example.com"})
    listed = api.get(base)
    removed = api.delete(f"{base}/{added.json()['id']}")

    assert added.status_code == 201
    assert [i["value"] for i in listed.json()] == ["neu@example.com"]
    assert removed.status_code == 204
    assert not contact.identities.exists()


def test_an_identity_of_another_contact_is_404(api):
    contact, other = ContactFactory(), ContactFactory()
    foreign = identity(other, "email", "other@example.com")

    response = api.delete(f"{CONTACTS}/{contact.pk}/identities/{foreign.pk}")

    assert response.status_code == 404
    assert other.identities.count() == 1


def test_notes_are_listed_newest_first_and_added_in_the_creators_name(api, ada):
    contact = ContactFactory()
    base = f"{CONTACTS}/{contact.pk}/notes"

    first = api.post(base, {"body": "Rückruf vereinbart"})
    api.post(base, {"body": "Angebot geschickt"})
    listed = api.get(base)

    assert first.status_code == 201
    assert first.json()["author_id"] == ada.pk
    assert [n["body"] for n in listed.json()["items"]] == [
        "Angebot geschickt",
        "Rückruf vereinbart",
    ]
    assert api.post(base, {"body": ""}).status_code == 422
    assert Note.objects.count() == 2


def test_attribute_definitions_are_listed(api):
    response = api.get("/api/v1/attribute-definitions")

    assert response.status_code == 200
    keys = [definition["key"] for definition in response.json()]
    assert keys[:3] == ["first_name", "last_name", "email"]


# --- The list ---------------------------------------------------------------------------


def test_the_list_filters_by_identity_normalised_like_the_app(api):
    jana = ContactFactory(first_name="Jana")
    identity(jana, "phone", "+49 170 1234567")
    identity(ContactFactory(), "email", "someone@example.com")

    by_phone = api.get(CONTACTS, identity="0170 / 123 45 67")
    by_email = api.get(CONTACTS, identity="SOMEONE@example.com")
    malformed = api.get(CONTACTS, identity="0000000")

    assert [c["id"] for c in by_phone.json()["items"]] == [jana.pk]
    assert len(by_email.json()["items"]) == 1
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "identity"


def test_the_list_filters_by_attribute_tag_and_updated_since(api):
    gold = ContactFactory(attributes={"tier": "gold"}, company="Fischer KG")
    ContactFactory(attributes={"tier": "silver"})
    gold.tags.add(Tag.objects.create(name="VIP"))
    Contact.objects.exclude(pk=gold.pk).update(updated_at=timezone.now() - timedelta(days=2))

    assert [c["id"] for c in api.get(CONTACTS, attribute="tier=gold").json()["items"]] == [gold.pk]
    assert [c["id"] for c in api.get(CONTACTS, attribute="company=Fischer KG").json()["items"]] == [
        gold.pk
    ]
    assert [c["id"] for c in api.get(CONTACTS, tag="vip").json()["items"]] == [gold.pk]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert [c["id"] for c in api.get(CONTACTS, updated_since=since).json()["items"]] == [gold.pk]
    assert api.get(CONTACTS, attribute="no equals sign").status_code == 422
    assert api.get(CONTACTS, updated_since="yesterday").status_code == 422


def test_limit_is_at_most_200_and_a_forged_cursor_is_400(api):
    assert api.get(CONTACTS, limit=201).status_code == 422
    assert api.get(CONTACTS, limit=0).status_code == 422
    response = api.get(CONTACTS, cursor="not-a-cursor")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cursor"


def _walk(api, **query):
    seen, url, pages = [], CONTACTS, 0
    response = api.get(url, **query)
    while True:
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        if not body["next"]:
            return seen, pages
        response = api.client.get(body["next"], headers=api.headers)


def test_pages_follow_next_without_skipping_or_repeating_while_rows_change(api):
    contacts = [ContactFactory() for _ in range(25)]
    first = api.get(CONTACTS, limit=10).json()
    read = [item["id"] for item in first["items"]]
    # Meanwhile: a contact already read changes, one not yet read changes, one is new.
    already_read = Contact.objects.get(pk=read[0])
    not_yet_read = contacts[-1]
    for contact in (already_read, not_yet_read):
        contact.job_title = "geändert"
        contact.save()
    new = ContactFactory()

    rest, url = [], first["next"]
    while url:
        body = api.client.get(url, headers=api.headers).json()
        rest += [item["id"] for item in body["items"]]
        url = body["next"]

    everything = read + rest
    assert set(everything) == {c.pk for c in contacts} | {new.pk}  # nothing skipped
    # Only the contact that changed after it was read comes again, in its new version, last.
    assert [pk for pk in set(everything) if everything.count(pk) > 1] == [already_read.pk]
    assert rest[-3:] == sorted([already_read.pk, not_yet_read.pk, new.pk], key=rest.index)


def test_a_list_page_costs_the_same_queries_whatever_its_size(api):
    for _ in range(30):
        contact = ContactFactory()
        identity(contact, "email", f"{contact.pk}@example.com")
        contact.tags.add(Tag.objects.get_or_create(name="VIP")[0])
    api.get(CONTACTS, limit=1)  # the token's last use is written once a minute at most

    counts = []
    for limit in (2, 30):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(CONTACTS, limit=limit)
        assert response.status_code == 200
        counts.append(len(queries))

    # The token (with its creator), the contacts, their identities, their tags.
    assert counts == [4, 4]
    assert not any("count(" in q["sql"].lower() for q in queries.captured_queries)
