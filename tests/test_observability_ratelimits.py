"""Rate limits: failed log-ins per network across addresses, searches and contact look-ups
per user (lib/ratelimit.py). Over the limit: 429 with a clear message, never a 500."""

import time

import pytest
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.test import RequestFactory
from django.urls import reverse

from lib import ratelimit
from tests.factories import PASSWORD, UserFactory

LOGIN = reverse("accounts:login")


def post_login(client, email, password, address="192.0.2.10"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address)


@pytest.fixture
def spray_limit(settings):
    settings.LOGIN_IP_RATE_LIMIT = "4/10 minutes"
    return 4


def test_many_addresses_failing_from_one_network_are_throttled(client, alice, spray_limit):
    for number in range(spray_limit):
        assert post_login(client, f"guess{number}@example.com", "wrong").status_code == 200

    checked = []

    def count(**kwargs):
        checked.append(kwargs)

    user_login_failed.connect(count)
    user_logged_in.connect(count)
    try:
        response = post_login(client, alice.email, PASSWORD)
        page = client.get(LOGIN, REMOTE_ADDR="192.0.2.10")
    finally:
        user_login_failed.disconnect(count)
        user_logged_in.disconnect(count)

    assert response.status_code == 429
    assert b"too many failed log-ins from your network" in response.content
    assert "_auth_user_id" not in client.session
    assert not checked, "no password may be checked while throttled"
    assert page.status_code == 429


def test_another_network_still_logs_in(client, alice, spray_limit):
    for number in range(spray_limit):
        post_login(client, f"guess{number}@example.com", "wrong")

    response = post_login(client, alice.email, PASSWORD, address="192.0.2.99")

    assert response.status_code == 302


def test_successful_log_ins_do_not_count(client, organisation, spray_limit):
    users = [UserFactory(email=f"agent{n}@nordlicht.example") for n in range(spray_limit + 2)]
    for user in users:
        assert post_login(client, user.email, PASSWORD).status_code == 302
        client.logout()


def test_the_limit_passes_with_its_window(client, alice, settings):
    settings.LOGIN_IP_RATE_LIMIT = "2/1 second"
    post_login(client, "a@example.com", "wrong")
    post_login(client, "b@example.com", "wrong")
    assert post_login(client, alice.email, PASSWORD).status_code == 429

    time.sleep(1.2)

    assert post_login(client, alice.email, PASSWORD).status_code == 302


def test_behind_a_proxy_the_forwarded_address_counts(client, alice, settings, spray_limit):
    # What BEHIND_PROXY=true sets.
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    for number in range(spray_limit):
        client.post(
            LOGIN,
            {"username": f"guess{number}@example.com", "password": "wrong"},
            REMOTE_ADDR="172.18.0.5",
            HTTP_X_FORWARDED_FOR="203.0.113.50",
        )

    neighbour = client.post(
        LOGIN,
        {"username": alice.email, "password": PASSWORD},
        REMOTE_ADDR="172.18.0.5",
        HTTP_X_FORWARDED_FOR="203.0.113.51",
    )

    assert neighbour.status_code == 302
    # More entries than the proxy writes: the client added one of its own; not believed.
    spoofed = RequestFactory().get(
        "/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.50"
    )
    assert ratelimit.client_ip(spoofed) == "172.18.0.5"


def test_redis_away_lets_log_ins_through(client, alice, spray_limit, monkeypatch):
    class Broken:
        def hit(self, *args, **kwargs):
            raise ConnectionError("redis away")

        test = get_window_stats = hit

    monkeypatch.setattr(ratelimit, "limiter", lambda: Broken())

    for number in range(spray_limit + 1):
        post_login(client, f"guess{number}@example.com", "wrong")

    assert post_login(client, alice.email, PASSWORD).status_code == 302


# --- Searches and contact look-ups ----------------------------------------------------------


@pytest.fixture
def search_limit(settings):
    settings.SEARCH_RATE_LIMIT = "3/minute"
    return 3


@pytest.mark.parametrize(
    ("url_name", "params"),
    [
        ("contacts:index", {"q": "anna"}),
        ("contacts:match", {"channel": "sms", "address": "+49 170 1234567"}),
        ("inbox:index", {"q": "bestellung"}),
    ],
)
def test_searching_too_often_answers_429_with_a_message(
    client_for, alice, search_limit, url_name, params
):
    client = client_for(alice)
    url = reverse(url_name)
    for _search in range(search_limit):
        assert client.get(url, params).status_code == 200

    page = client.get(url, params)
    fragment = client.get(url, params, headers={"HX-Request": "true"})

    assert page.status_code == 429
    assert b"You searched very often" in page.content
    assert int(page["Retry-After"]) >= 1
    assert fragment.status_code == 429
    assert b'id="rate-limited"' in fragment.content
    assert b"<html" not in fragment.content
    assert b"You searched very often" in fragment.content


def test_browsing_without_a_query_is_not_limited(client_for, alice, search_limit):
    client = client_for(alice)
    for _visit in range(search_limit + 2):
        assert client.get(reverse("contacts:index")).status_code == 200


def test_the_search_limit_is_per_user(client_for, alice, bob, search_limit):
    for _search in range(search_limit + 1):
        client_for(alice).get(reverse("contacts:index"), {"q": "anna"})

    assert client_for(bob).get(reverse("contacts:index"), {"q": "anna"}).status_code == 200


def test_a_bad_rate_setting_stops_the_process():
    from tests.test_settings_module import run_django

    result = run_django({"SECRET_KEY": "x" * 50, "SEARCH_RATE_LIMIT": "lots"}, "check")

    assert result.returncode != 0
    assert "SEARCH_RATE_LIMIT must be a rate" in result.stderr
