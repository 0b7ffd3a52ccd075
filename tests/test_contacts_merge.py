"""Merge preview, merge and undo: every identity and note moves, nothing is lost."""

import pytest
from django.urls import reverse

from contacts.actions import add_note, update_profile
from contacts.merging import merge_contacts, survivor_for, undo_blocker, undo_merge
from contacts.models import Contact, ContactEvent, Identity, Note, Tag
from lib.errors import ActionRefused
from tests.factories import ContactFactory, identity


@pytest.fixture
def pair(ada):
    """Jana as a curated contact and a duplicate of her identified by her work address."""
    jana = ContactFactory(kind="curated", first_name="Jana", last_name="Müller", company="")
    jana.tags.add(Tag.objects.create(name="VIP"))
    identity(jana, "phone", "+49 170 1234567")
    add_note(jana, body="Prefers calls.", author=ada)
    duplicate = ContactFactory(
        kind="identified",
        first_name="J.",
        last_name="Müller",
        company="Bäckerei Müller",
        attributes={"customer_no": "4711"},
    )
    duplicate.tags.add(Tag.objects.create(name="Reseller"))
    identity(duplicate, "email", "j.mueller@example.com")
    identity(duplicate, "whatsapp", "+49 171 7654321")
    add_note(duplicate, body="Asked for an invoice copy.", author=ada)
    return jana, duplicate


def test_kinds_decide_who_survives(db):
    curated, identified, ephemeral = (
        ContactFactory(kind="curated"),
        ContactFactory(kind="identified"),
        ContactFactory(kind="ephemeral"),
    )

    assert survivor_for(identified, curated) == (curated, identified)
    assert survivor_for(ephemeral, curated) == (curated, ephemeral)
    assert survivor_for(ephemeral, identified) == (identified, ephemeral)
    assert survivor_for(identified, ContactFactory(kind="identified")) is None
    assert survivor_for(curated, ContactFactory(kind="curated")) is None
    with pytest.raises(ActionRefused, match="Two ephemeral contacts"):
        survivor_for(ephemeral, ContactFactory(kind="ephemeral"))


def test_the_preview_shows_both_values_per_attribute(client_for, max_manager, pair):
    jana, duplicate = pair

    page = client_for(max_manager).get(reverse("contacts:merge", args=[jana.pk, duplicate.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    assert 'name="keep_first_name" value="survivor" checked' in content
    assert 'name="keep_first_name" value="absorbed"' in content
    assert "Bäckerei Müller" in content
    assert "j.mueller@example.com" in content and "+49 171 7654321" in content


def test_the_url_is_turned_round_when_the_kinds_decide(client_for, max_manager, pair):
    jana, duplicate = pair

    response = client_for(max_manager).get(reverse("contacts:merge", args=[duplicate.pk, jana.pk]))

    assert response["Location"] == reverse("contacts:merge", args=[jana.pk, duplicate.pk])


def test_merging_moves_every_identity_and_note_and_keeps_the_chosen_values(
    client_for, max_manager, pair
):
    jana, duplicate = pair
    identities_before = set(Identity.objects.values_list("kind", "normalised"))

    response = client_for(max_manager).post(
        reverse("contacts:merge", args=[jana.pk, duplicate.pk]), {"keep_first_name": "survivor"}
    )

    assert response["Location"] == reverse("contacts:detail", args=[jana.pk])
    jana.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.merged_into == jana
    assert (
        set(Identity.objects.filter(contact=jana).values_list("kind", "normalised"))
        == identities_before
    )
    assert set(Note.objects.filter(contact=jana).values_list("body", flat=True)) == {
        "Prefers calls.",
        "Asked for an invoice copy.",
    }
    assert (jana.first_name, jana.company) == ("Jana", "Bäckerei Müller")
    assert jana.attributes == {"customer_no": "4711"}
    assert set(jana.tags.values_list("name", flat=True)) == {"VIP", "Reseller"}
    assert not Contact.objects.active().filter(pk=duplicate.pk).exists()
    event = ContactEvent.objects.get(contact=jana, kind=ContactEvent.Kind.MERGED)
    assert event.data["survivor_before"]["company"] == ""
    assert event.actor == max_manager


def test_the_absorbed_contacts_page_leads_to_the_survivor(client_for, max_manager, pair):
    jana, duplicate = pair
    merge_contacts(survivor=jana, absorbed=duplicate, choices={}, actor=max_manager)

    response = client_for(max_manager).get(reverse("contacts:detail", args=[duplicate.pk]))

    assert response["Location"] == reverse("contacts:detail", args=[jana.pk])


def state_of(*contacts):
    """Everything a merge touches, per contact, to compare before and after."""
    return {
        c.pk: (
            c.first_name,
            c.company,
            dict(c.attributes),
            set(c.tags.values_list("name", flat=True)),
            set(c.identities.values_list("normalised", flat=True)),
            set(c.notes.values_list("body", flat=True)),
        )
        for c in contacts
    }


def test_undo_restores_both_contacts_exactly(client_for, max_manager, pair):
    jana, duplicate = pair
    before = state_of(jana, duplicate)
    event = merge_contacts(
        survivor=jana, absorbed=duplicate, choices={"company": "absorbed"}, actor=max_manager
    )

    response = client_for(max_manager).post(reverse("contacts:merge_undo", args=[event.pk]))

    assert response.status_code == 302
    after = state_of(*Contact.objects.filter(pk__in=[jana.pk, duplicate.pk]))
    assert after == before
    assert Contact.objects.get(pk=duplicate.pk).merged_into is None
    assert ContactEvent.objects.filter(contact=jana, kind=ContactEvent.Kind.MERGE_UNDONE).exists()


def test_undo_is_refused_once_the_survivor_has_changed(max_manager, pair):
    jana, duplicate = pair
    event = merge_contacts(survivor=jana, absorbed=duplicate, choices={}, actor=max_manager)
    update_profile(jana, values={"job_title": "Owner"}, actor=max_manager)
    event.refresh_from_db()

    assert "has changed since the merge" in undo_blocker(event)
    with pytest.raises(ActionRefused):
        undo_merge(event, actor=max_manager)
    assert Contact.objects.get(pk=duplicate.pk).merged_into == jana


def test_undo_works_only_once(max_manager, pair):
    jana, duplicate = pair
    event = merge_contacts(survivor=jana, absorbed=duplicate, choices={}, actor=max_manager)
    undo_merge(event, actor=max_manager)
    event.refresh_from_db()

    with pytest.raises(ActionRefused):
        undo_merge(event, actor=max_manager)


def test_the_summary_offers_undo_right_after_the_merge(client_for, max_manager, pair):
    jana, duplicate = pair
    event = merge_contacts(survivor=jana, absorbed=duplicate, choices={}, actor=max_manager)

    page = client_for(max_manager).get(reverse("contacts:detail", args=[jana.pk]))

    assert reverse("contacts:merge_undo", args=[event.pk]).encode() in page.content


def test_two_curated_contacts_merge_into_the_one_the_user_chooses(max_manager):
    first, second = ContactFactory(kind="curated"), ContactFactory(kind="curated")
    identity(first, "email", "a@example.com")

    merge_contacts(survivor=second, absorbed=first, choices={}, actor=max_manager)

    assert Identity.objects.get(normalised="a@example.com").contact == second


def test_agents_may_not_merge(client_for, alice, pair):
    jana, duplicate = pair
    client = client_for(alice)

    assert client.get(reverse("contacts:merge", args=[jana.pk, duplicate.pk])).status_code == 403
    assert client.post(reverse("contacts:merge", args=[jana.pk, duplicate.pk])).status_code == 403
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None


def test_an_undo_by_an_agent_is_refused(client_for, alice, max_manager, pair):
    jana, duplicate = pair
    event = merge_contacts(survivor=jana, absorbed=duplicate, choices={}, actor=max_manager)

    assert (
        client_for(alice).post(reverse("contacts:merge_undo", args=[event.pk])).status_code == 403
    )
    assert Contact.objects.get(pk=duplicate.pk).merged_into == jana
