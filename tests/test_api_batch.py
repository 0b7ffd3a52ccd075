"""POST /api/v1/contacts/batch: per-item results through HTTP, the 1,000-item cap, the scope,
Idempotency-Key, the dry run, and CRM-owned attributes for tokens with and without
attributes:write_crm (also for PATCH)."""

import pytest

from api.scopes import Scope
from contacts.models import AttributeDefinition, Contact, ContactEvent
from tests.factories import ContactFactory, identity

pytest_plugins = ["tests.api_fixtures"]
pytestmark = pytest.mark.django_db
BATCH = "/api/v1/contacts/batch"
WRITE_ONLY = [Scope.CONTACTS_READ, Scope.CONTACTS_WRITE]
CRM = [Scope.CONTACTS_READ, Scope.CONTACTS_WRITE, Scope.ATTRIBUTES_WRITE_CRM]


@pytest.fixture
def crm_tier(organisation):
    return AttributeDefinition.objects.create(
        key="crm_tier", label="CRM tier", type="choice", choices=["gold", "silver"], owner="crm"
    )


@pytest.fixture
def crm(api_for):
    return api_for(scopes=CRM, name="HubSpot sync")


def test_each_item_gets_its_result_and_the_counts_add_up(crm):
    known = ContactFactory(first_name="Jana", company="")
    identity(known, "email", "jana@example.com")
    same = ContactFactory(first_name="Same", last_name="", company="")
    identity(same, "email", "same@example.com")
    one = ContactFactory()
    identity(one, "email", "one@example.com")
    two = ContactFactory()
    identity(two, "phone", "+491701234567")

    response = crm.post(
        BATCH,
        {
            "items": [
                {"ref": "new", "email": "neu@example.com", "first_name": "Neu", "tags": ["VIP"]},
                {"ref": "upd", "email": "jana@example.com", "company": "Fischer KG"},
                {"ref": "same", "email": "same@example.com", "first_name": "Same"},
                {"ref": "bad", "email": "kein-mail", "phone": "12"},
                {"ref": "amb", "email": "one@example.com", "phone": "0170 1234567"},
            ]
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is False
    assert body["counts"] == {"created": 1, "updated": 1, "unchanged": 1, "error": 2}
    results = {r["ref"]: r for r in body["results"]}
    assert results["new"]["status"] == "created" and results["new"]["contact_id"]
    assert results["upd"] == {
        "ref": "upd",
        "status": "updated",
        "contact_id": known.pk,
        "errors": [],
        "candidates": [],
        "warnings": [],
    }
    assert results["same"]["status"] == "unchanged"
    assert {e["field"] for e in results["bad"]["errors"]} == {"email", "phone"}
    assert results["amb"]["candidates"] == sorted([one.pk, two.pk])
    known.refresh_from_db()
    assert known.company == "Fischer KG"
    assert known.provenance["company"]["by"] == "HubSpot sync"


def test_more_than_a_thousand_items_is_a_422_problem(crm):
    response = crm.post(BATCH, {"items": [{"email": f"{i}@example.com"} for i in range(1001)]})

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"].startswith("items")
    assert not Contact.objects.exists()


def test_an_empty_batch_and_wrong_shapes_are_422(crm):
    empty = crm.post(BATCH, {"items": []})
    wrong = crm.post(BATCH, {"items": [{"email": "a@example.com", "shoe_size": 44}]})
    not_json = crm.post(BATCH, "items=1")

    assert empty.status_code == 422
    assert wrong.status_code == 422
    assert "shoe_size" in wrong.json()["errors"][0]["field"]
    assert not_json.status_code in (400, 422)
    assert not Contact.objects.exists()


def test_the_batch_needs_contacts_write(api_for):
    reader = api_for(scopes=[Scope.CONTACTS_READ])

    response = reader.post(BATCH, {"items": [{"email": "a@example.com"}]})

    assert response.status_code == 403
    assert response.json()["scope"] == "contacts:write"
    assert not Contact.objects.exists()


def test_the_same_idempotency_key_answers_the_stored_results_once(crm):
    body = {"items": [{"ref": "1", "email": "neu@example.com", "first_name": "Neu"}]}
    headers = {"Idempotency-Key": "batch-2024-02-01"}

    first = crm.post(BATCH, body, headers=headers)
    again = crm.post(BATCH, body, headers=headers)
    other = crm.post(BATCH, {"items": [{"email": "x@example.com"}]}, headers=headers)

    assert first.status_code == 200 and again.status_code == 200
    assert again["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    assert other.status_code == 422
    assert Contact.objects.count() == 1
    assert ContactEvent.objects.count() == 1


def test_the_dry_run_answers_and_writes_nothing(crm):
    response = crm.post(BATCH, {"dry_run": True, "items": [{"email": "neu@example.com"}]})

    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert response.json()["results"][0]["status"] == "created"
    assert response.json()["results"][0]["contact_id"] is None
    assert not Contact.objects.exists()


def test_consent_without_basis_and_source_is_not_recorded_and_the_item_says_so(crm):
    response = crm.post(
        BATCH, {"items": [{"email": "neu@example.com", "consent": {"channel": "email"}}]}
    )

    [result] = response.json()["results"]
    assert result["status"] == "created"
    assert "basis" in result["warnings"][0]


# --- CRM-owned attributes ---------------------------------------------------------------


def test_a_crm_owned_attribute_needs_the_scope_attributes_write_crm(api_for, crm, crm_tier):
    plain = api_for(scopes=WRITE_ONLY, name="Shop")
    contact = ContactFactory()
    identity(contact, "email", "jana@example.com")

    refused = plain.post(
        BATCH, {"items": [{"email": "jana@example.com", "attributes": {"crm_tier": "gold"}}]}
    )
    written = crm.post(
        BATCH, {"items": [{"email": "jana@example.com", "attributes": {"crm_tier": "gold"}}]}
    )

    [result] = refused.json()["results"]
    assert result["status"] == "error"
    assert result["errors"][0]["field"] == "attributes.crm_tier"
    assert "attributes:write_crm" in result["errors"][0]["message"]
    assert written.json()["results"][0]["status"] == "updated"
    contact.refresh_from_db()
    assert contact.attributes == {"crm_tier": "gold"}
    assert contact.provenance["crm_tier"]["writer"] == "crm"
    assert contact.provenance["crm_tier"]["by"] == "HubSpot sync"


def test_the_crm_fills_an_empty_agent_owned_attribute_but_never_overwrites_one(crm, organisation):
    AttributeDefinition.objects.create(key="notes_tier", label="Tier", type="text")
    empty = ContactFactory(job_title="")
    identity(empty, "email", "empty@example.com")
    filled = ContactFactory(job_title="Einkauf")
    identity(filled, "email", "filled@example.com")

    response = crm.post(
        BATCH,
        {
            "items": [
                {"ref": "e", "email": "empty@example.com", "attributes": {"job_title": "Leitung"}},
                {"ref": "f", "email": "filled@example.com", "attributes": {"job_title": "Leitung"}},
            ]
        },
    )

    results = {r["ref"]: r for r in response.json()["results"]}
    assert results["e"]["status"] == "updated"
    assert results["f"]["status"] == "error"
    assert results["f"]["errors"][0]["field"] == "attributes.job_title"
    assert "owned by agents" in results["f"]["errors"][0]["message"]
    filled.refresh_from_db()
    assert filled.job_title == "Einkauf"


def test_patch_of_a_crm_owned_attribute_without_the_scope_names_the_scope(api_for, crm, crm_tier):
    plain = api_for(scopes=WRITE_ONLY, name="Shop")
    contact = ContactFactory(job_title="Einkauf")

    refused = plain.patch(f"/api/v1/contacts/{contact.pk}", {"attributes": {"crm_tier": "gold"}})
    written = crm.patch(f"/api/v1/contacts/{contact.pk}", {"attributes": {"crm_tier": "gold"}})
    overwrite = crm.patch(f"/api/v1/contacts/{contact.pk}", {"job_title": "Leitung"})
    agent_write = plain.patch(f"/api/v1/contacts/{contact.pk}", {"job_title": "Leitung"})

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "attributes.crm_tier"
    assert "attributes:write_crm" in refused.json()["errors"][0]["message"]
    assert written.status_code == 200
    assert overwrite.status_code == 422
    assert "owned by agents" in overwrite.json()["errors"][0]["message"]
    # A token without the CRM scope writes in its creator's name, as an agent would.
    assert agent_write.status_code == 200
    contact.refresh_from_db()
    assert contact.attributes == {"crm_tier": "gold"} and contact.job_title == "Leitung"
    assert contact.provenance["job_title"]["by"] == "Shop"
    assert contact.provenance["crm_tier"]["by"] == "HubSpot sync"


def test_a_body_over_the_upload_limit_is_a_413_problem(crm, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    body = {"items": [{"email": f"{i}@example.com", "company": "x" * 900} for i in range(100)]}

    plain = crm.post(BATCH, body)
    keyed = crm.post(BATCH, body, headers={"Idempotency-Key": "big-1"})

    for response in (plain, keyed):
        assert response.status_code == 413
        assert response["Content-Type"] == "application/problem+json"
        assert "fewer items" in response.json()["detail"]
    assert not Contact.objects.exists()
