"""The contact panel's "several matches" chooser (inbox.contact_chooser): a message from an
address several contacts share waits for the agent's pick, the chooser lists the candidates
(name, company, last activity, conversations) with a search within them, the pick is stored
on the conversation, "back to the list" reopens it — and only for the conversation's inbox."""

import pytest
from django.urls import reverse

from contacts import sharing
from contacts.models import Identity
from inbox.models import ContactState, Conversation, ConversationEvent
from tests.factories import ContactFactory, identity, inbound, inbox_with

pytestmark = pytest.mark.django_db
LANDLINE = "+49 30 1234567"


@pytest.fixture
def sales(alice, max_manager):
    return inbox_with("Sales", "assignment", members=[alice], managers=[max_manager])


@pytest.fixture
def support(bob):
    return inbox_with("Support", members=[bob])


@pytest.fixture
def family(ada):
    mother = ContactFactory(first_name="Greta", last_name="Sommer", company="")
    son = ContactFactory(first_name="Paul", last_name="Sommer", company="Sommer Bau")
    landline = identity(mother, "phone", LANDLINE)
    sharing.share_identity(son, identity=landline, actor=ada)
    return mother, son


@pytest.fixture
def conversation(sales, family):
    return inbound(sales, address="030 1234567").conversation


def panel_url(conversation):
    return reverse("inbox:contact_chooser", args=[conversation.pk])


def pick(client, conversation, contact):
    return client.post(
        reverse("inbox:contact_choose", args=[conversation.pk]),
        {"contact": contact.pk},
        HTTP_HX_REQUEST="true",
    )


def test_a_message_from_a_shared_number_waits_for_the_agents_choice(conversation, family):
    mother, son = family

    assert conversation.contact is None
    assert conversation.contact_state == ContactState.TO_CONFIRM
    assert sorted(conversation.candidate_ids) == sorted([mother.pk, son.pk])


def test_the_panel_shows_the_chooser_with_name_company_activity_and_conversations(
    client_for, alice, conversation, django_assert_max_num_queries
):
    client = client_for(alice)
    client.get(panel_url(conversation), HTTP_HX_REQUEST="true")  # caches warm

    # The session's user, the conversation, the candidates with their counts, permissions.
    with django_assert_max_num_queries(4):
        page = client.get(panel_url(conversation), HTTP_HX_REQUEST="true")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="contact-chooser"' in html
    assert "2 contacts use this address" in html
    assert "Greta Sommer" in html and "Paul Sommer" in html
    assert "Sommer Bau" in html and "No company" in html
    assert "Last activity" in html
    assert "0 conversations" in html


def test_the_chooser_query_count_does_not_grow_with_the_candidates(
    client_for, alice, ada, sales, family, django_assert_max_num_queries
):
    mother, _son = family
    landline = mother.identities.get()
    for n in range(8):
        sharing.share_identity(ContactFactory(first_name=f"Kind {n}"), identity=landline, actor=ada)
    conversation = inbound(sales, address=LANDLINE).conversation
    client = client_for(alice)
    client.get(panel_url(conversation), HTTP_HX_REQUEST="true")  # caches warm

    with django_assert_max_num_queries(4):
        page = client.get(panel_url(conversation), HTTP_HX_REQUEST="true")

    assert "10 contacts use this address" in page.content.decode()


def test_the_search_narrows_the_candidates(client_for, alice, conversation):
    page = client_for(alice).get(panel_url(conversation), {"q": "bau"}, HTTP_HX_REQUEST="true")

    html = page.content.decode()
    assert "Paul Sommer" in html and "Greta Sommer" not in html
    empty = client_for(alice).get(panel_url(conversation), {"q": "zzz"}, HTTP_HX_REQUEST="true")
    assert "None of these contacts matches that search." in empty.content.decode()


def test_picking_links_the_conversation_and_the_panel_remembers_it(
    client_for, alice, conversation, family
):
    mother, son = family
    client = client_for(alice)

    answer = pick(client, conversation, son)

    assert answer.status_code == 200
    conversation.refresh_from_db()
    assert conversation.contact == son
    assert conversation.contact_state == ContactState.CONFIRMED
    assert conversation.identity.contact == son
    assert sorted(conversation.candidate_ids) == sorted([mother.pk, son.pk])
    event = conversation.events.get(kind=ConversationEvent.Kind.CONTACT_LINKED)
    assert event.data["contact"] == son.pk and event.data["chosen_from"] == 2
    again = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert "Back to the list (2 contacts use this address)" in again
    assert 'id="contact-chooser"' not in again
    assert "Paul Sommer" in again


def test_back_to_the_list_reopens_the_chooser_with_the_pick_marked(
    client_for, alice, conversation, family
):
    _mother, son = family
    client = client_for(alice)
    pick(client, conversation, son)

    page = client.get(panel_url(conversation), HTTP_HX_REQUEST="true").content.decode()

    assert 'id="contact-chooser"' in page
    assert "chooser-picked" in page and "Chosen" in page
    assert "Back to Paul Sommer" in page
    # Without htmx the link opens the whole workspace with the chooser.
    whole = client.get(panel_url(conversation))
    assert whole.status_code == 200 and 'id="contact-chooser"' in whole.content.decode()


def test_the_next_message_keeps_the_pick(client_for, alice, sales, conversation, family):
    _mother, son = family
    pick(client_for(alice), conversation, son)

    message = inbound(sales, address=LANDLINE, body="Noch eine Frage")

    assert message.conversation_id == conversation.pk
    conversation.refresh_from_db()
    assert conversation.contact == son
    assert conversation.contact_state == ContactState.CONFIRMED


def test_a_contact_who_is_not_a_candidate_cannot_be_picked(client_for, alice, conversation):
    stranger = ContactFactory(first_name="Fremd")

    answer = pick(client_for(alice), conversation, stranger)

    assert answer.status_code == 422
    assert "Fremd" in answer.content.decode()  # the refusal's toast names the contact
    assert Conversation.objects.get(pk=conversation.pk).contact is None


def test_another_inbox_agent_gets_404_for_the_chooser_and_the_pick(
    client_for, bob, support, conversation, family
):
    _mother, son = family
    client = client_for(bob)

    assert client.get(panel_url(conversation), HTTP_HX_REQUEST="true").status_code == 404
    assert client.get(panel_url(conversation)).status_code == 404
    assert pick(client, conversation, son).status_code == 404
    assert Conversation.objects.get(pk=conversation.pk).contact is None


def test_a_bad_contact_id_is_a_404_not_a_500(client_for, alice, conversation):
    answer = client_for(alice).post(
        reverse("inbox:contact_choose", args=[conversation.pk]), {"contact": "nope"}
    )

    assert answer.status_code == 404


def test_an_address_with_one_holder_shows_no_chooser(client_for, alice, sales, family):
    ContactFactory(first_name="Solo").identities.create(
        kind="phone", value="+49 170 5555555", normalised="+491705555555"
    )
    conversation = inbound(sales, address="+49 170 5555555").conversation

    page = client_for(alice).get(reverse("inbox:conversation", args=[conversation.pk]))

    html = page.content.decode()
    assert conversation.contact.first_name == "Solo"
    assert 'id="contact-chooser"' not in html and "Back to the list" not in html


def test_creating_a_new_contact_from_the_chooser_makes_another_sharer(
    client_for, alice, conversation, family
):
    client_for(alice).post(
        reverse("inbox:contact_create", args=[conversation.pk]),
        {"first_name": "Lina", "last_name": "Sommer"},
    )

    conversation.refresh_from_db()
    assert conversation.contact.first_name == "Lina"
    holders = Identity.objects.filter(normalised="+49301234567")
    assert sorted(holders.values_list("shared", flat=True)) == [True, True, True]
    assert holders.filter(contact=conversation.contact).exists()
