"""Notes: newest first, author-only editing where the organisation allows it, enforced by
the server; edits keep the previous text."""

import pytest
from django.urls import reverse

from accounts.models import Organisation
from contacts.actions import add_note
from contacts.models import ContactEvent, Note, NoteRevision
from tests.factories import ContactFactory


@pytest.fixture
def contact(organisation):
    return ContactFactory()


def test_an_agent_adds_a_note_and_it_is_listed_newest_first(client_for, alice, bob, contact):
    add_note(contact, body="First call.", author=bob)
    client = client_for(alice)

    client.post(reverse("contacts:note_add", args=[contact.pk]), {"body": "Second call."})

    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert page.index("Second call.") < page.index("First call.")
    assert "Alice Agent" in page and "Bob Other-Inbox" in page
    assert (
        ContactEvent.objects.filter(contact=contact, kind=ContactEvent.Kind.NOTE_ADDED).count() == 2
    )


def test_an_empty_note_is_refused(client_for, alice, contact):
    client_for(alice).post(reverse("contacts:note_add", args=[contact.pk]), {"body": "   "})

    assert not Note.objects.exists()


def test_the_author_edits_their_note_and_the_previous_text_is_kept(client_for, alice, contact):
    note = add_note(contact, body="Called on Monday.", author=alice)

    response = client_for(alice).post(
        reverse("contacts:note_edit", args=[note.pk]), {"body": "Called on Tuesday."}
    )

    assert response.status_code == 302
    note.refresh_from_db()
    assert note.body == "Called on Tuesday." and note.edited_at
    assert list(NoteRevision.objects.filter(note=note).values_list("body", flat=True)) == [
        "Called on Monday."
    ]


@pytest.mark.parametrize("method", ["edit", "delete"])
def test_someone_elses_note_cannot_be_changed_even_by_a_crafted_post(
    client_for, alice, bob, contact, method
):
    note = add_note(contact, body="Bob's note.", author=bob)
    url = reverse(f"contacts:note_{method}", args=[note.pk])

    response = client_for(alice).post(url, {"body": "Alice was here."})

    assert response.status_code == 403
    note.refresh_from_db()
    assert note.body == "Bob's note."


def test_an_admin_cannot_change_someone_elses_note_either(client_for, ada, bob, contact):
    note = add_note(contact, body="Bob's note.", author=bob)

    assert client_for(ada).post(reverse("contacts:note_delete", args=[note.pk])).status_code == 403
    assert Note.objects.filter(pk=note.pk).exists()


def test_others_see_no_edit_controls(client_for, alice, bob, contact):
    note = add_note(contact, body="Bob's note.", author=bob)

    page = client_for(alice).get(reverse("contacts:detail", args=[contact.pk])).content.decode()

    assert reverse("contacts:note_edit", args=[note.pk]) not in page
    assert reverse("contacts:note_delete", args=[note.pk]) not in page


@pytest.mark.parametrize("method", ["edit", "delete"])
def test_when_the_organisation_forbids_it_authors_cannot_change_notes(
    client_for, alice, contact, method
):
    Organisation.objects.filter(pk=1).update(authors_may_edit_notes=False)
    note = add_note(contact, body="Mine.", author=alice)

    response = client_for(alice).post(
        reverse(f"contacts:note_{method}", args=[note.pk]), {"body": "Changed."}
    )

    assert response.status_code == 403
    note.refresh_from_db()
    assert note.body == "Mine."
    page = client_for(alice).get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert reverse("contacts:note_edit", args=[note.pk]) not in page


def test_the_author_deletes_their_note(client_for, alice, contact):
    note = add_note(contact, body="Mine.", author=alice)

    client_for(alice).post(reverse("contacts:note_delete", args=[note.pk]))

    assert not Note.objects.filter(pk=note.pk).exists()
    assert ContactEvent.objects.filter(
        contact=contact, kind=ContactEvent.Kind.NOTE_DELETED
    ).exists()


def test_long_notes_show_an_excerpt_that_expands(client_for, alice, contact):
    add_note(contact, body="Long story. " * 40, author=alice)

    page = client_for(alice).get(reverse("contacts:detail", args=[contact.pk])).content.decode()

    assert '<details class="note-body"><summary>' in page
