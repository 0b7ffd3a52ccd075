"""What every answer of the API shares: problem details, rate limits, Idempotency-Key, the
OpenAPI schema and the docs."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openapi_spec_validator import validate

from api.models import ApiToken, IdempotencyRecord
from api.tasks import purge_idempotency_records
from contacts.models import Contact

pytest_plugins = ["tests.api_fixtures"]
pytestmark = pytest.mark.django_db
CONTACTS = "/api/v1/contacts"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


@pytest.fixture
def api(api_for):
    return api_for()


# --- Problem details ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/nothing-here", 404),
        ("get", "/api/v1/contacts/123456", 404),
        ("put", "/api/v1/contacts", 405),
        ("get", "/api/v1/contacts?limit=abc", 422),
    ],
)
def test_every_error_is_a_problem(api, method, path, status):
    response = getattr(api.client, method)(path, headers=api.headers)

    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["instance"] == path.split("?")[0]


def test_a_405_keeps_its_allow_header(api):
    response = api.client.put(CONTACTS, headers=api.headers)

    assert response.status_code == 405
    assert "GET" in response["Allow"]


def test_a_body_that_is_not_json_is_a_problem_not_a_500(api):
    response = api.post(CONTACTS, "{not json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "The body could not be read: send JSON."


def test_a_crash_is_a_500_problem_without_details(api, monkeypatch):
    def broken():
        raise RuntimeError("secret internals")

    monkeypatch.setattr("api.routers.directory.AttributeDefinition.objects.all_cached", broken)

    response = api.get("/api/v1/attribute-definitions")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert "secret internals" not in response.content.decode()


def test_the_query_string_never_reaches_a_problem(api):
    response = api.get(CONTACTS, identity="+49 170 not-a-number-1234567")

    assert "1234567" not in response.json()["instance"]


# --- Rate limits --------------------------------------------------------------------------


def test_each_token_has_its_own_limit_with_headers_on_every_answer(api_for):
    limited, other = api_for(rate_limit=3), api_for()

    answers = [limited.get(CONTACTS) for _ in range(3)]
    refused = limited.get(CONTACTS)

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a["RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert all(a["RateLimit-Limit"] == "3" for a in answers)
    assert 0 < int(answers[0]["RateLimit-Reset"]) <= 60
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["RateLimit-Remaining"] == "0"
    assert other.get(CONTACTS).status_code == 200


def test_errors_count_and_carry_the_headers_too(api_for):
    client = api_for(rate_limit=5)

    response = client.get("/api/v1/contacts/999999")

    assert response.status_code == 404
    assert response["RateLimit-Remaining"] == "4"


# --- Idempotency-Key ----------------------------------------------------------------------


def test_the_same_key_and_body_answer_the_stored_response(api):
    body = {"first_name": "Jana"}
    first = api.post(CONTACTS, body, headers={"Idempotency-Key": "k-1"})
    again = api.post(CONTACTS, body, headers={"Idempotency-Key": "k-1"})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotency-Replayed"] == "true"
    assert "Idempotency-Replayed" not in first
    assert Contact.objects.count() == 1


def test_the_same_key_with_another_body_is_422(api):
    api.post(CONTACTS, {"first_name": "Jana"}, headers={"Idempotency-Key": "k-2"})

    response = api.post(CONTACTS, {"first_name": "Jan"}, headers={"Idempotency-Key": "k-2"})

    assert response.status_code == 422
    assert response.json()["type"].endswith("/idempotency-key-reused")
    assert Contact.objects.count() == 1


def test_a_key_still_in_progress_is_409(api):
    token = ApiToken.objects.get()
    body = json.dumps({"first_name": "Jana"}).encode()
    import hashlib

    IdempotencyRecord.objects.create(
        token=token,
        key="k-3",
        method="POST",
        path=CONTACTS,
        body_sha256=hashlib.sha256(body).hexdigest(),
    )

    response = api.post(CONTACTS, body.decode(), headers={"Idempotency-Key": "k-3"})

    assert response.status_code == 409
    assert response.json()["type"].endswith("/idempotency-key-in-use")
    assert not Contact.objects.exists()


def test_a_claim_left_by_a_dead_process_is_taken_over(api):
    api.post(CONTACTS, {"first_name": "Jana"}, headers={"Idempotency-Key": "k-4"})
    IdempotencyRecord.objects.update(
        completed_at=None, created_at=timezone.now() - timedelta(minutes=10)
    )

    response = api.post(CONTACTS, {"first_name": "Jana"}, headers={"Idempotency-Key": "k-4"})

    assert response.status_code == 201
    assert "Idempotency-Replayed" not in response


def test_keys_are_per_token(api_for):
    one, two = api_for(), api_for()

    one.post(CONTACTS, {"first_name": "A"}, headers={"Idempotency-Key": "shared"})
    response = two.post(CONTACTS, {"first_name": "B"}, headers={"Idempotency-Key": "shared"})

    assert response.status_code == 201
    assert Contact.objects.count() == 2


def test_a_server_error_is_not_kept(api, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("api.routers.contacts.contact_actions.create_contact", broken)
    failed = api.post(CONTACTS, {"first_name": "Jana"}, headers={"Idempotency-Key": "k-5"})
    monkeypatch.undo()
    retried = api.post(CONTACTS, {"first_name": "Jana"}, headers={"Idempotency-Key": "k-5"})

    assert failed.status_code == 500
    assert retried.status_code == 201


def test_a_bad_key_is_400(api):
    response = api.post(CONTACTS, {"first_name": "Jana"}, headers={"Idempotency-Key": "x" * 256})

    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_keys_are_forgotten_after_24_hours(api):
    api.post(CONTACTS, {"first_name": "Jana"}, headers={"Idempotency-Key": "old"})
    api.post(CONTACTS, {"first_name": "Jan"}, headers={"Idempotency-Key": "new"})
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )

    assert purge_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    # An expired key is a new key.
    reused = api.post(CONTACTS, {"first_name": "Other"}, headers={"Idempotency-Key": "new"})
    assert reused.status_code == 422


def test_the_purge_runs_on_the_bulk_queue():
    from config import queues

    assert queues.ROUTES["api.tasks.*"] == "bulk"
    assert any(
        entry["task"] == "api.tasks.purge_idempotency_records"
        for entry in queues.BEAT_SCHEDULE.values()
    )


# --- OpenAPI and docs ---------------------------------------------------------------------


def test_the_openapi_schema_is_valid_3_1(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    validate(schema)
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert all(op.get("x-scope") for op in operations)
    assert "/api/v1/contacts" in schema["paths"]


def test_the_docs_are_for_logged_in_admins(client, client_for, ada, alice):
    url = reverse("api:docs")

    assert client.get(url).status_code == 302
    assert client_for(alice).get(url).status_code == 403
    page = client_for(ada).get(url)
    assert page.status_code == 200
    assert b"swagger" in page.content.lower()
