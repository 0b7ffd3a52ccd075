"""API tokens: hashed at rest, shown once, refused when revoked, expired or unknown, and the
creator's licence; scopes per operation; the truncated last use."""

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountEvent
from api.actions import revoke_token
from api.models import ApiToken
from api.tokens import parse, truncate_ip
from tests.api_helpers import ALL_SCOPES, ApiClient

pytest_plugins = ["tests.api_fixtures"]

pytestmark = pytest.mark.django_db
CONTACTS = "/api/v1/contacts"


def test_the_database_holds_only_the_secrets_hash(make_token):
    plaintext = make_token()
    parts = parse(plaintext)
    token = ApiToken.objects.get()

    assert plaintext.startswith(f"sb_live_{token.prefix}_")
    assert token.secret_hash == hashlib.sha256(parts.secret.encode()).hexdigest()
    stored = " ".join(str(value) for value in ApiToken.objects.values().get().values())
    assert parts.secret not in stored


def test_a_token_works_and_records_its_network_not_its_address(make_token):
    client = ApiClient(make_token(), REMOTE_ADDR="203.0.113.77")

    response = client.client.get(CONTACTS, headers=client.headers, REMOTE_ADDR="203.0.113.77")

    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert token.last_used_at is not None
    assert token.last_used_ip == "203.0.113.0/24"


def test_addresses_are_truncated():
    assert truncate_ip("198.51.100.200") == "198.51.100.0/24"
    assert truncate_ip("2001:db8:abcd:12:1::5") == "2001:db8:abcd::/48"
    assert truncate_ip("::ffff:192.0.2.9") == "192.0.2.0/24"
    assert truncate_ip("nonsense") == ""


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer sb_live_nothex000000_" + "a" * 40,
        "Bearer sb_live_0123456789ab_" + "a" * 40,
        "Bearer not-a-token",
    ],
)
def test_anything_but_a_valid_token_is_401(make_token, authorization):
    make_token()
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = ApiClient(None, **headers).get(CONTACTS)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


def test_a_wrong_secret_with_a_real_prefix_is_401(make_token):
    plaintext = make_token()
    forged = plaintext[:-4] + ("AAAA" if not plaintext.endswith("AAAA") else "BBBB")

    assert ApiClient(forged).get(CONTACTS).status_code == 401


def test_a_revoked_token_is_401_at_once(make_token, ada):
    plaintext = make_token()
    client = ApiClient(plaintext)
    assert client.get(CONTACTS).status_code == 200

    revoke_token(ApiToken.objects.get(), actor=ada)
    response = client.get(CONTACTS)

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    kinds = list(AccountEvent.objects.values_list("kind", flat=True))
    assert AccountEvent.Kind.API_TOKEN_CREATED in kinds
    assert AccountEvent.Kind.API_TOKEN_REVOKED in kinds


def test_an_expired_token_is_401(make_token):
    plaintext = make_token(expires_at=timezone.now() + timedelta(days=1))
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = ApiClient(plaintext).get(CONTACTS)

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_token_stops_working_when_its_creator_loses_the_licence(make_token, ada):
    plaintext = make_token()
    ada.is_active = False
    ada.save(update_fields=["is_active"])

    assert ApiClient(plaintext).get(CONTACTS).status_code == 401


def test_only_admins_create_tokens(alice):
    from django.core.exceptions import PermissionDenied

    from api.actions import create_token

    with pytest.raises(PermissionDenied):
        create_token(name="x", scopes=ALL_SCOPES, inboxes=[], expires_at=None, actor=alice)


def test_the_token_page_is_for_admins_only(client_for, alice, ada):
    assert client_for(alice).get(reverse("api_settings:tokens")).status_code == 403
    assert client_for(alice).post(reverse("api_settings:token_new")).status_code == 403
    assert client_for(ada).get(reverse("api_settings:tokens")).status_code == 200


def test_the_token_is_shown_once_on_creation(client_for, ada):
    client = client_for(ada)
    empty = client.get(reverse("api_settings:tokens"))
    assert "No API tokens yet" in empty.content.decode()

    created = client.post(
        reverse("api_settings:token_new"),
        {"name": "Salesforce", "scopes": ["contacts:read"], "expiry": "90", "rate_limit": 600},
    )

    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    token = ApiToken.objects.get()
    page = created.content.decode()
    start = page.index("sb_live_")
    plaintext = page[start : start + len("sb_live_") + 12 + 1 + 40]
    assert parse(plaintext) is not None
    assert ApiClient(plaintext).get(CONTACTS).status_code == 200
    listing = client.get(reverse("api_settings:tokens")).content.decode()
    assert "Salesforce" in listing and token.prefix in listing
    assert parse(plaintext).secret not in listing
    assert token.expires_at > timezone.now() + timedelta(days=89)


def test_a_token_without_scopes_is_not_created(client_for, ada):
    response = client_for(ada).post(
        reverse("api_settings:token_new"), {"name": "x", "expiry": "never", "rate_limit": 600}
    )

    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_revoking_from_settings_asks_first(client_for, ada, make_token):
    plaintext = make_token()
    token = ApiToken.objects.get()
    url = reverse("api_settings:token_revoke", args=[token.pk])

    confirmation = client_for(ada).get(url)
    assert confirmation.status_code == 200 and ApiToken.objects.get().revoked_at is None

    client_for(ada).post(url)

    assert ApiToken.objects.get().revoked_at is not None
    assert ApiClient(plaintext).get(CONTACTS).status_code == 401


def test_a_token_without_the_scope_is_403_naming_it(api_for):
    client = api_for(scopes=["conversations:read"])

    response = client.get(CONTACTS)

    assert response.status_code == 403
    body = response.json()
    assert body["type"].endswith("/missing-scope")
    assert body["scope"] == "contacts:read"
    assert "contacts:read" in body["detail"]


def test_scope_is_checked_before_the_body_is_read(api_for):
    client = api_for(scopes=["contacts:read"])

    response = client.post(CONTACTS, {"nonsense": True})

    assert response.status_code == 403
