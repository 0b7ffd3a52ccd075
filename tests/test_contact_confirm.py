""" "Confirm contact" in the workspace's contact panel: offered only where the link is
unconfirmed (linked by the sender's address, not by a person), explained, a secondary
action; on a temporary contact confirming creates the contact or promotes it in the same
step, so a confirmed link never points at a contact that is about to be removed."""

import pytest
from django.urls import reverse

from contacts.models import Contact, ContactEvent
from inbox.models import ConversationEvent
from tests.factories import ContactFactory, identity, inbound, inbox_with

pytestmark = pytest.mark.django_db

CONFIRM_HELP = "Confirm that it is them"
TEMPORARY_HELP = "Switchboard keeps this address in a temporary contact"


@pytest.fixture
def inbox(alice, max_manager):
    return inbox_with("Support", "open", members=[alice], managers=[max_manager])


@pytest.fixture
def known(inbox):
    """A conversation linked by its address to a curated contact, not confirmed yet."""
    jana = ContactFactory(first_name="Jana", last_name="Nowak", kind="curated")
    identity(jana, "phone", "+49 170 1234567")
    return inbound(inbox, address="+49 170 1234567").conversation


@pytest.fixture
def new_sender(inbox):
    """A conversation from an unknown number: linked to a temporary contact."""
    return inbound(inbox, address="+49 151 27654321").conversation


def confirm_forms(html):
    """The confirm forms of the panel, as (keep value or "", their text)."""
    action = 'action="/inbox/c/'
    forms = []
    for chunk in html.split("<form")[1:]:
        head = chunk[: chunk.index(">")]
        if action in head and "/contact/confirm/" in head:
            body = chunk[: chunk.index("</form>")]
            keep = "create" if 'value="create"' in body else "promote" if "promote" in body else ""
            forms.append((keep, body))
    return forms


def page(client, conversation):
    """The contact panel of the conversation (the workspace draws the same fragment)."""
    url = reverse("inbox:contact_panel", args=[conversation.pk])
    return client.get(url, headers={"HX-Request": "true"}).content.decode()


def post_confirm(client, conversation, **data):
    return client.post(
        reverse("inbox:contact_confirm", args=[conversation.pk]),
        data,
        headers={"HX-Request": "true"},
    )


def test_an_unconfirmed_link_offers_confirm_as_a_secondary_action_with_its_reason(
    client_for, alice, known
):
    assert known.contact_state == "linked" and known.contact.kind == "curated"

    html = page(client_for(alice), known)

    [(keep, form)] = confirm_forms(html)
    assert keep == "" and "Confirm contact" in form
    button = form[form.index("<button") : form.index("</button>")]
    assert "btn-primary" not in button
    assert CONFIRM_HELP in html and "Jana Nowak" in html


def test_confirming_records_it_and_the_button_goes_away(client_for, alice, known):
    client = client_for(alice)

    response = post_confirm(client, known)

    assert response.status_code == 200
    known.refresh_from_db()
    assert known.contact_state == "confirmed"
    assert ConversationEvent.objects.filter(
        conversation=known, kind=ConversationEvent.Kind.CONTACT_CONFIRMED
    ).exists()
    html = page(client, known)
    assert confirm_forms(html) == [] and CONFIRM_HELP not in html
    assert "Unlink" in html


def test_a_temporary_contact_offers_create_contact_and_promote_instead_of_confirmed(
    client_for, alice, max_manager, new_sender
):
    assert new_sender.contact.kind == "ephemeral" and new_sender.contact_state == "linked"

    agent = page(client_for(alice), new_sender)
    manager = page(client_for(max_manager), new_sender)

    assert TEMPORARY_HELP in agent
    assert [keep for keep, _form in confirm_forms(agent)] == ["create"]
    assert "Create contact" in agent and "Confirm contact" not in agent
    assert [keep for keep, _form in confirm_forms(manager)] == ["create", "promote"]
    assert ">Promote</button>" in manager


def test_create_contact_names_the_temporary_contact_and_confirms_in_one_step(
    client_for, alice, new_sender
):
    contact_id = new_sender.contact_id

    response = post_confirm(
        client_for(alice), new_sender, keep="create", first_name=" Lena ", last_name="Berg"
    )

    assert response.status_code == 200
    assert "Lena Berg is created and linked." in response.content.decode()
    new_sender.refresh_from_db()
    contact = Contact.objects.get(pk=contact_id)
    assert new_sender.contact_id == contact_id and new_sender.contact_state == "confirmed"
    assert (contact.kind, contact.full_name, contact.expires_at) == ("curated", "Lena Berg", None)
    assert contact.identities.get().normalised == "+4915127654321"
    assert contact.provenance["first_name"]["by"] == "Alice Agent"
    created = ContactEvent.objects.filter(contact=contact, kind="created").latest("id")
    assert created.actor == alice and created.data["from_ephemeral"] is True
    # The card no longer calls it temporary, the state says confirmed.
    html = response.content.decode()
    assert "Temporary contact" not in html and TEMPORARY_HELP not in html


def test_a_manager_promotes_the_temporary_contact_and_confirms(client_for, max_manager, new_sender):
    response = post_confirm(client_for(max_manager), new_sender, keep="promote")

    assert response.status_code == 200
    new_sender.refresh_from_db()
    assert new_sender.contact_state == "confirmed"
    assert new_sender.contact.kind == "curated" and new_sender.contact.expires_at is None


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        ({}, 422, "This is a temporary contact: create the contact or promote it"),
        ({"keep": "create"}, 422, "Give the new contact a first or a last name."),
        ({"keep": "promote"}, 403, "Only managers may promote a temporary contact"),
        ({"keep": "nonsense"}, 422, "This is a temporary contact"),
    ],
)
def test_a_temporary_contact_is_never_just_confirmed(
    client_for, alice, new_sender, data, status, reason
):
    response = post_confirm(client_for(alice), new_sender, **data)

    assert response.status_code == status
    assert reason in response.content.decode()
    new_sender.refresh_from_db()
    assert new_sender.contact_state == "linked" and new_sender.contact.kind == "ephemeral"


def test_without_javascript_confirming_returns_to_the_conversation(client_for, alice, known):
    response = client_for(alice).post(reverse("inbox:contact_confirm", args=[known.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:conversation", args=[known.pk])


def test_a_chosen_or_confirmed_contact_offers_no_confirm(client_for, alice, inbox):
    jana = ContactFactory(first_name="Jana", kind="curated")
    conversation = inbound(inbox, address="+49 170 5555555").conversation
    client = client_for(alice)
    client.post(reverse("inbox:contact_link", args=[conversation.pk]), {"contact": jana.pk})

    assert confirm_forms(page(client, conversation)) == []


def test_another_inbox_cannot_confirm_or_keep_the_contact(client_for, bob, new_sender):
    for data in ({}, {"keep": "create", "first_name": "X"}, {"keep": "promote"}):
        response = client_for(bob).post(
            reverse("inbox:contact_confirm", args=[new_sender.pk]), data
        )
        assert response.status_code == 404
    new_sender.refresh_from_db()
    assert new_sender.contact.kind == "ephemeral" and new_sender.contact_state == "linked"


def test_without_javascript_create_contact_opens_its_form_on_the_page(
    client_for, alice, new_sender
):
    url = reverse("inbox:contact_panel", args=[new_sender.pk])
    closed = client_for(alice).get(url).content.decode()
    opened = client_for(alice).get(url, {"keep_contact": "1"}).content.decode()

    form = f'id="keep-contact-{new_sender.pk}"'
    assert form in closed and form in opened
    assert closed[closed.index(form) :].split(">")[0].endswith("hidden")
    assert not opened[opened.index(form) :].split(">")[0].endswith("hidden")
