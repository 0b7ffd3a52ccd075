"""Settings → Inboxes → an inbox → Web chat: managers of the inbox and admins only."""

import re
from html import escape

import pytest

from inbox.models import InboxEvent
from tests.factories import inbox_with
from tests.webchat_helpers import make_widget
from webchat.models import WebWidget


@pytest.fixture
def inbox(alice, bob, max_manager):
    inbox_with("Anderes", members=[bob])
    return inbox_with("Kundenservice", members=[alice], managers=[max_manager])


def url(inbox) -> str:
    return f"/settings/inboxes/{inbox.pk}/web-chat/"


VALID = {
    "enabled": "on",
    "colour": "teal",
    "greeting": "Hallo!",
    "away_message": "Gerade niemand da.",
    "allowed_origins": "https://shop.example\nhttps://www.shop.example:8443/\nhttp://127.0.0.1:8080",
    "consent_mode": "journey",
}


def test_a_manager_saves_the_settings_and_sees_the_secret_once(client_for, max_manager, inbox):
    client = client_for(max_manager)

    answer = client.post(url(inbox), VALID, follow=True)

    assert answer.status_code == 200
    widget = WebWidget.objects.get(inbox=inbox)
    assert widget.enabled and widget.colour == "teal" and widget.consent_mode == "journey"
    assert widget.origins == [
        "https://shop.example",
        "https://www.shop.example:8443",
        "http://127.0.0.1:8080",
    ]
    assert widget.identity_secret in answer.text
    assert escape(f'/w/{widget.public_id}.js" async></script>') in answer.text
    assert "data-copy=" in answer.text
    again = client.get(url(inbox))
    assert widget.identity_secret not in again.text
    assert InboxEvent.objects.filter(kind=InboxEvent.Kind.WEB_CHAT_CHANGED).exists()


def test_rotating_the_secret_shows_the_new_one_once(client_for, ada, inbox):
    widget = make_widget(inbox)
    client = client_for(ada)

    answer = client.post(url(inbox) + "secret/", follow=True)

    widget.refresh_from_db()
    assert widget.identity_secret != "sbw_test-secret-0123456789abcdefghijklmnop"
    assert widget.identity_secret in answer.text
    assert widget.identity_secret not in client.get(url(inbox)).text


@pytest.mark.parametrize(
    "origins",
    [
        "http://shop.example",  # plain http outside development
        "https://shop.example/path",
        "https://*.shop.example",
        "javascript:alert(1)",
        "http://localhost",  # development needs a port
    ],
)
def test_an_origin_that_is_not_one_is_refused_with_a_message(
    client_for, max_manager, inbox, origins
):
    answer = client_for(max_manager).post(url(inbox), {**VALID, "allowed_origins": origins})

    assert answer.status_code == 422
    assert "is not an allowed website origin" in answer.text
    assert not WebWidget.objects.exists()


def test_enabling_without_an_origin_is_refused(client_for, max_manager, inbox):
    answer = client_for(max_manager).post(url(inbox), {**VALID, "allowed_origins": ""})

    assert answer.status_code == 422
    assert "at least one website" in answer.text


def test_an_unknown_colour_is_refused(client_for, max_manager, inbox):
    answer = client_for(max_manager).post(url(inbox), {**VALID, "colour": "#ff00ff"})

    assert answer.status_code == 422


def test_an_agent_of_the_inbox_may_not_open_it(client_for, alice, inbox):
    assert client_for(alice).get(url(inbox)).status_code == 403
    assert client_for(alice).post(url(inbox), VALID).status_code == 403


def test_an_agent_of_another_inbox_gets_404(client_for, bob, inbox):
    make_widget(inbox)

    assert client_for(bob).get(url(inbox)).status_code == 404
    assert client_for(bob).post(url(inbox), VALID).status_code == 404
    assert client_for(bob).post(url(inbox) + "secret/").status_code == 404


def test_the_page_has_a_fixed_number_of_queries(
    client_for, max_manager, inbox, django_assert_max_num_queries
):
    make_widget(inbox)
    client = client_for(max_manager)
    client.get(url(inbox))

    with django_assert_max_num_queries(12):
        answer = client.get(url(inbox))

    assert answer.status_code == 200
    assert 'class="webchat-preview"' in answer.text
    # Settings → Inboxes stays the section shown as current.
    assert re.search(r'href="/settings/inboxes/"\s+aria-current="page"', answer.text)


def test_the_inbox_page_links_to_the_web_chat(client_for, max_manager, inbox):
    answer = client_for(max_manager).get(f"/settings/inboxes/{inbox.pk}/")

    assert url(inbox) in answer.text


def test_web_is_not_offered_as_a_number_or_address(client_for, max_manager, inbox):
    answer = client_for(max_manager).post(
        f"/settings/inboxes/{inbox.pk}/channels/", {"kind": "web", "address": "x"}
    )

    assert answer.status_code == 422
