"""Log-in by e-mail, log-out, the log-in requirement and django-axes lock-out."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")


def post_login(client, email, password):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR="10.1.2.3")


def test_an_agent_logs_in_with_their_email_in_any_case(client, alice):
    response = post_login(client, "  Alice@Nordlicht.EXAMPLE ", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("inbox:index")).status_code == 200


def test_a_wrong_password_says_so_and_keeps_the_address(client, alice):
    response = post_login(client, alice.email, "wrong")

    assert response.status_code == 200
    assert b"Please enter a correct" in response.content
    assert alice.email.encode() in response.content


def test_a_user_without_licence_cannot_log_in(client, alice):
    alice.is_active = False
    alice.save()

    response = post_login(client, alice.email, PASSWORD)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    response = client.get(reverse("inbox:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_an_htmx_request_after_the_session_expired_reloads_the_login_page(client, db):
    response = client.get(reverse("inbox:index"), headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(LOGIN)


def test_logging_out_takes_a_post(client_for, alice):
    client = client_for(alice)

    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert client.get(reverse("inbox:index")).status_code == 302


def test_five_failures_lock_the_address_out_even_with_the_right_password(client, alice):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _attempt in range(5):
        post_login(client, alice.email, "wrong")

    response = post_login(client, alice.email, PASSWORD)

    assert response.status_code == 429
    assert b"Too many failed log-ins" in response.content
    assert b"15 minutes" in response.content
    assert "_auth_user_id" not in client.session


def test_the_lock_out_is_per_address_and_network(client, alice, bob):
    for _attempt in range(5):
        post_login(client, alice.email, "wrong")

    assert post_login(client, bob.email, PASSWORD).status_code == 302


@pytest.mark.parametrize("path", ["/healthz", LOGIN, reverse("accounts:password_reset")])
def test_public_pages_need_no_login(client, db, path):
    assert client.get(path).status_code == 200
