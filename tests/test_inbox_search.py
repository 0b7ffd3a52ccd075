"""Searching the conversation list: newest matches first, complete across pages (the same
set an unbounded query gives), by contact, address or message text, with stemming on
PostgreSQL — and a fixed number of queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from inbox import search
from inbox.list import PER_PAGE
from inbox.models import Conversation
from tests.factories import inbound, inbox_with

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search needs PostgreSQL"
)


@pytest.fixture
def inbox_a(alice, max_manager):
    return inbox_with("Support A", members=[alice], managers=[max_manager])


def rows(response) -> list[int]:
    return [int(i) for i in re.findall(r'id="conversation-row-(\d+)"', response.content.decode())]


def more_url(response) -> str | None:
    found = re.search(r'href="([^"]*after=[^"]+)"', response.content.decode())
    return found.group(1).replace("&amp;", "&") if found else None


def all_pages(client, query) -> list[int]:
    response = client.get(reverse("inbox:index"), {"q": query})
    seen = rows(response)
    while (url := more_url(response)) is not None:
        response = client.get(url, headers={"HX-Request": "true"})
        seen += rows(response)
    return seen


def newest_first(ids) -> list[int]:
    return list(
        Conversation.objects.filter(pk__in=ids)
        .order_by("-last_message_at", "-id")
        .values_list("pk", flat=True)
    )


def test_a_word_in_many_conversations_lists_all_of_them_newest_first_across_pages(
    client_for, alice, inbox_a, monkeypatch
):
    # A small probe makes the word "common", so the walk through the list is what runs.
    monkeypatch.setattr(search, "PROBE", 5)
    start = timezone.now() - timedelta(days=30)
    matching = []
    for n in range(PER_PAGE + 15):
        body = "Die Lieferung fehlt" if n % 3 == 0 else "Frage zur Rechnung"
        message = inbound(
            inbox_a, f"+49 170 {1000000 + n}", body, received_at=start + timedelta(hours=n)
        )
        if n % 3 == 0:
            matching.append(message.conversation_id)

    found = all_pages(client_for(alice), "Lieferung")

    assert found == newest_first(matching)
    assert len(found) == len(set(found))


@on_postgresql
def test_a_prefix_of_a_common_word_lists_all_of_them_newest_first_across_pages(
    client_for, alice, inbox_a, monkeypatch
):
    # "rech" as a word (or stemmed) is in no message and as a prefix in many: the first
    # probe (the words alone) says few, the second (as prefixes) many, so the walk runs.
    monkeypatch.setattr(search, "PROBE", 5)
    probes = []
    through_the_index = search._through_the_index

    def recorded(*args):
        hits = through_the_index(*args)
        probes.append(len(hits))
        return hits

    monkeypatch.setattr(search, "_through_the_index", recorded)
    start = timezone.now() - timedelta(days=30)
    matching = []
    for n in range(PER_PAGE + 15):
        body = "Frage zur Rechnung" if n % 3 else "Die Lieferung fehlt"
        message = inbound(
            inbox_a, f"+49 170 {3000000 + n}", body, received_at=start + timedelta(hours=n)
        )
        if n % 3:
            matching.append(message.conversation_id)

    assert all_pages(client_for(alice), "rech") == newest_first(matching)
    assert probes and all(hits > search.PROBE for hits in probes)


def test_a_rare_word_a_name_and_an_address_find_their_conversations(client_for, alice, inbox_a):
    rare = inbound(inbox_a, "+49 170 2222222", "Mein Paket ist beschädigt").conversation
    named = inbound(inbox_a, "+49 170 3333333", "Hallo").conversation
    Contact.objects.filter(pk=named.contact_id).update(
        first_name="Greta", last_name="Lindqvist", search_text="greta lindqvist"
    )
    for n in range(5):
        inbound(inbox_a, f"+49 170 44444{n:02d}", "Danke")
    client = client_for(alice)

    assert all_pages(client, "beschädigt") == [rare.pk]
    assert all_pages(client, "lindq") == [named.pk]
    assert all_pages(client, "0170 2222222") == [rare.pk]
    assert all_pages(client, "2222222") == [rare.pk]
    assert all_pages(client, "zzqx") == []


def test_a_merged_away_contact_is_not_searched(client_for, alice, inbox_a):
    conversation = inbound(inbox_a, "+49 170 3333333", "Hallo").conversation
    survivor = Contact.objects.create(first_name="Other", search_text="other")
    Contact.objects.filter(pk=conversation.contact_id).update(
        search_text="greta lindqvist", merged_into=survivor
    )

    assert all_pages(client_for(alice), "lindqvist") == []


def test_search_sees_only_the_users_inboxes(client_for, alice, bob, inbox_a):
    inbox_b = inbox_with("Sales B", members=[bob])
    inbound(inbox_b, "+49 170 5555555", "Die Lieferung fehlt")
    own = inbound(inbox_a, "+49 170 6666666", "Die Lieferung fehlt").conversation

    assert all_pages(client_for(alice), "lieferung") == [own.pk]


def test_a_nul_byte_in_the_search_is_no_error(client_for, alice, inbox_a):
    response = client_for(alice).get(reverse("inbox:index"), {"q": "lief\x00erung"})
    assert response.status_code == 200


@on_postgresql
def test_words_are_found_in_other_forms_and_as_prefixes(client_for, alice, inbox_a):
    german = inbound(
        inbox_a, "+49 170 7777777", "Wo bleiben meine Lieferungen? Bitte helfen Sie mir."
    )
    swedish = inbound(inbox_a, "+46 70 1234567", "Hej, jag väntar på mina leveranser och fakturan.")
    client = client_for(alice)

    assert german.language == "de" and swedish.language == "sv"
    assert all_pages(client, "Lieferung") == [german.conversation_id]
    assert all_pages(client, "liefer") == [german.conversation_id]
    assert all_pages(client, "leverans") == [swedish.conversation_id]


def test_a_search_page_runs_a_fixed_number_of_queries(
    client_for, alice, inbox_a, django_assert_max_num_queries
):
    for n in range(12):
        inbound(inbox_a, f"+49 170 {2000000 + n}", f"Lieferung Nummer {n}")
    client = client_for(alice)
    client.get(reverse("inbox:index"))

    # The user, the probes of contacts, addresses and text, the sources' keys, the rows, the
    # user's saved views and the unread count in the navigation; on PostgreSQL the text is
    # probed as words and then as prefixes, with the sequential scan switched off and on
    # again around them, in a savepoint here (a transaction of its own in production).
    with django_assert_max_num_queries(13 if connection.vendor == "postgresql" else 10):
        response = client.get(reverse("inbox:index"), {"q": "lieferung"})
    assert len(rows(response)) == 12


def test_the_live_poll_of_a_search_brings_only_new_matches(client_for, alice, inbox_a):
    from django.utils import timezone

    since = (timezone.now() - timedelta(seconds=5)).isoformat()
    matching = inbound(inbox_a, "+49 170 8000001", "Die Lieferung fehlt").conversation
    other = inbound(inbox_a, "+49 170 8000002", "Frage zur Rechnung").conversation

    polled = client_for(alice).get(
        reverse("inbox:live"), {"since": since, "view": "all", "q": "lieferung"}
    )

    html = polled.content.decode()
    assert f'id="conversation-row-{matching.pk}"' in html
    assert f'id="conversation-row-{other.pk}"' not in html
