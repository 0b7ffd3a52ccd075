"""Bad input on pages gets a 4xx or an empty result, never a 500 (DESIGN.md §6).

A NUL byte is the sharpest case: SQLite stores and searches it, PostgreSQL refuses it in any
text parameter, so these tests matter most when run against PostgreSQL (as CI does). Search
boxes and ids read from a form go through Django forms, whose CharField refuses NUL bytes.
"""

import pytest
from django.urls import reverse

from tests.factories import ContactFactory, identity, inbound, inbox_with

NUL_QUERY = "Ja\x00na"


@pytest.fixture
def jana(organisation):
    contact = ContactFactory(first_name="Jana", last_name="Ostwald")
    identity(contact, "phone", "+49 170 1234567")
    return contact


def test_a_search_for_duplicates_with_a_nul_byte_finds_nothing(client_for, alice, jana):
    other = ContactFactory(first_name="Jana", last_name="Berg")

    response = client_for(alice).get(
        reverse("contacts:identities", args=[other.pk]), {"q": NUL_QUERY}
    )

    assert response.status_code == 200
    assert "Ostwald" not in response.content.decode()


def test_a_link_search_with_a_nul_byte_finds_nothing(client_for, alice, jana):
    response = client_for(alice).get(
        reverse("contacts:match"),
        {"channel": "sms", "address": "+49 170 7654321", "link_q": NUL_QUERY},
    )

    assert response.status_code == 200
    assert "Ostwald" not in response.content.decode()


def test_a_user_search_with_a_nul_byte_is_ignored(client_for, ada, alice):
    response = client_for(ada).get(reverse("settings:users"), {"q": "Ali\x00ce"})

    assert response.status_code == 200
    assert "\x00" not in response.content.decode()


@pytest.mark.parametrize("value", ["abc", "²", "9" * 30, "-1", ""])
def test_claiming_an_identifier_that_is_not_an_id_is_a_404(client_for, alice, jana, value):
    other = ContactFactory(first_name="Johanna")

    response = client_for(alice).post(
        reverse("contacts:identity_claim", args=[other.pk]), {"identity": value}
    )

    assert response.status_code == 404
    assert jana.identities.count() == 1 and not other.identities.exists()


@pytest.mark.parametrize("value", ["abc", "²", "9" * 30, "-1", ""])
def test_linking_a_conversation_to_a_contact_that_is_not_an_id_is_a_404(
    client_for, alice, jana, value
):
    conversation = inbound(inbox_with("Service", members=[alice])).conversation

    response = client_for(alice).post(
        reverse("inbox:contact_link", args=[conversation.pk]), {"contact": value}
    )

    assert response.status_code == 404
    conversation.refresh_from_db()
    assert conversation.contact == jana
