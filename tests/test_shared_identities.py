"""Shared identifiers (contacts.sharing): an address several contacts hold — "Share it" next
to "Claim it", the shared mark, matching all holders, and merges, removal, deletion,
anonymisation, expiry, the batch upsert and the API keeping every other holder's row."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from api.schemas import IdentityOut
from campaigns.actions import campaigns as campaign_actions
from campaigns.models import CampaignRecipient
from contacts import actions, sharing
from contacts.consent import identity_for_channel
from contacts.matching import match_contacts
from contacts.merging import merge_contacts, undo_merge
from contacts.models import Contact, ContactEvent, Identity
from contacts.tasks import remove_expired_ephemeral_contacts
from contacts.upsert import UpsertItem, upsert_contacts
from inbox.models import InboxChannel
from tests.factories import ContactFactory, identity, inbox_with

pytestmark = pytest.mark.django_db
LANDLINE = "+49 30 1234567"
NORMALISED = "+49301234567"


@pytest.fixture
def mother(organisation):
    return ContactFactory(first_name="Greta", last_name="Sommer", company="")


@pytest.fixture
def son(organisation):
    return ContactFactory(first_name="Paul", last_name="Sommer", company="Sommer Bau")


@pytest.fixture
def landline(mother):
    return identity(mother, "phone", LANDLINE)


def rows():
    return list(Identity.objects.filter(normalised=NORMALISED).order_by("contact_id", "kind"))


def test_sharing_gives_both_contacts_a_row_marked_shared(ada, mother, son, landline):
    shared = sharing.share_identity(son, identity=landline, actor=ada)

    assert {(row.contact_id, row.shared) for row in rows()} == {(mother.pk, True), (son.pk, True)}
    assert shared.contact == son and shared.value == LANDLINE
    for contact in (mother, son):
        assert ContactEvent.objects.filter(
            contact=contact, kind=ContactEvent.Kind.IDENTITY_SHARED
        ).exists()


def test_matching_returns_every_holder_in_one_query(
    ada, mother, son, landline, django_assert_num_queries
):
    sharing.share_identity(son, identity=landline, actor=ada)

    with django_assert_num_queries(1):
        match = match_contacts("sms", "030 1234567")

    assert match.state == "several"
    assert {c.pk for c in match.contacts} == {mother.pk, son.pk}
    assert {i.contact_id for i in match.identities.values()} == {mother.pk, son.pk}


def test_an_unshared_address_still_has_one_owner_in_the_database(mother, son, landline):
    with pytest.raises(IntegrityError), transaction.atomic():
        Identity.objects.create(contact=son, kind="phone", value=LANDLINE, normalised=NORMALISED)


def test_one_contact_holds_an_address_once(ada, mother, son, landline):
    sharing.share_identity(son, identity=landline, actor=ada)

    with pytest.raises(IntegrityError), transaction.atomic():
        Identity.objects.create(
            contact=son, kind="phone", value=LANDLINE, normalised=NORMALISED, shared=True
        )


def test_sharing_twice_or_with_oneself_is_refused(ada, mother, son, landline):
    sharing.share_identity(son, identity=landline, actor=ada)

    with pytest.raises(actions.ActionRefused, match="already belongs to this contact"):
        sharing.share_identity(son, identity=landline, actor=ada)
    with pytest.raises(actions.ActionRefused, match="already belongs to this contact"):
        sharing.share_identity(mother, identity=landline, actor=ada)


def test_a_shared_address_taken_again_names_every_holder(ada, mother, son, landline):
    sharing.share_identity(son, identity=landline, actor=ada)
    third = ContactFactory(first_name="Lina")

    with pytest.raises(actions.IdentityTaken) as taken:
        actions.add_identity(third, kind="phone", value=LANDLINE, actor=ada)

    assert taken.value.is_shared
    assert {row.contact_id for row in taken.value.holders} == {mother.pk, son.pk}
    assert "is shared by" in taken.value.message


def test_removing_one_sharers_row_leaves_the_other_its_own_unshared(ada, mother, son, landline):
    sharing.share_identity(son, identity=landline, actor=ada)

    actions.remove_identity(Identity.objects.get(contact=son), actor=ada)

    assert [(row.contact_id, row.shared) for row in rows()] == [(mother.pk, False)]


def test_claiming_a_shared_address_moves_only_that_holders_row(ada, mother, son, landline):
    sharing.share_identity(son, identity=landline, actor=ada)
    third = ContactFactory(first_name="Lina")

    actions.claim_identity(third, identity=landline, actor=ada)

    assert {(row.contact_id, row.shared) for row in rows()} == {(son.pk, True), (third.pk, True)}
    with pytest.raises(actions.ActionRefused):
        actions.claim_identity(third, identity=Identity.objects.get(contact=son), actor=ada)


def test_claiming_an_unshared_address_moves_it_as_before(ada, mother, son, landline):
    actions.claim_identity(son, identity=landline, actor=ada)

    assert [(row.contact_id, row.shared) for row in rows()] == [(son.pk, False)]


def test_deleting_one_sharer_never_removes_the_others_row(ada, mother, son, landline):
    sharing.share_identity(son, identity=landline, actor=ada)

    actions.delete_contact(son, actor=ada)

    assert [(row.contact_id, row.shared) for row in rows()] == [(mother.pk, False)]
    assert match_contacts("sms", LANDLINE).contact == mother


def test_anonymising_one_sharer_keeps_the_others_row(ada, mother, son, landline):
    sharing.share_identity(son, identity=landline, actor=ada)

    actions.anonymise_contact(mother, actor=ada)

    assert [(row.contact_id, row.shared) for row in rows()] == [(son.pk, False)]


def test_an_expired_ephemeral_sharer_leaves_the_other_its_row(ada, mother, landline):
    temporary = Contact.objects.create(
        kind="ephemeral", expires_at=timezone.now() - timedelta(days=1)
    )
    sharing.share_identity(temporary, identity=landline, actor=ada)
    Contact.objects.filter(pk=temporary.pk).update(
        kind="ephemeral", expires_at=timezone.now() - timedelta(days=1)
    )

    assert remove_expired_ephemeral_contacts() == 1

    assert [(row.contact_id, row.shared) for row in rows()] == [(mother.pk, False)]


def test_a_merge_of_two_sharers_leaves_the_survivor_one_row_and_undo_shares_again(
    ada, mother, son, landline
):
    sharing.share_identity(son, identity=landline, actor=ada)
    identity(son, "email", "paul@sommer.example")

    event = merge_contacts(survivor=mother, absorbed=son, choices={}, actor=ada)

    assert Identity.objects.filter(contact=mother, normalised=NORMALISED).count() == 1
    assert Identity.objects.get(contact=mother, normalised=NORMALISED).shared is False
    assert Identity.objects.filter(contact=mother, kind="email").exists()
    assert match_contacts("sms", LANDLINE).contact == mother

    undo_merge(event, actor=ada)

    assert {(row.contact_id, row.shared) for row in rows()} == {(mother.pk, True), (son.pk, True)}
    assert match_contacts("sms", LANDLINE).state == "several"
    assert not Identity.objects.filter(contact=mother, kind="email").exists()


def test_the_batch_upsert_calls_a_shared_number_alone_ambiguous(
    organisation, ada, mother, son, landline
):
    sharing.share_identity(son, identity=landline, actor=ada)

    [result] = upsert_contacts(
        organisation,
        [UpsertItem(phone=LANDLINE, first_name="X")],
        actor=ada,
        writer="crm",
        source="HubSpot",
    )

    assert result.status == "error"
    assert sorted(result.candidates) == sorted([mother.pk, son.pk])
    assert "Ambiguous" in result.errors[""][0]


def test_the_batch_upsert_decided_by_e_mail_keeps_a_shared_number(
    organisation, ada, mother, son, landline
):
    sharing.share_identity(son, identity=landline, actor=ada)
    identity(son, "email", "paul@sommer.example")

    [result] = upsert_contacts(
        organisation,
        [UpsertItem(email="paul@sommer.example", phone=LANDLINE, tags=["Familie"])],
        actor=ada,
        writer="crm",
        source="HubSpot",
    )

    assert result.status == "updated", result.errors
    assert result.contact_id == son.pk
    assert Identity.objects.filter(normalised=NORMALISED).count() == 2


def test_the_identities_tab_offers_claim_and_share_and_marks_shared(
    client_for, alice, mother, son, landline
):
    client = client_for(alice)
    url = reverse("contacts:identities", args=[son.pk])

    offer = client.post(url, {"kind": "phone", "value": LANDLINE})

    page = offer.content.decode()
    assert offer.status_code == 409
    assert "Claim it" in page and "Share it" in page
    shared = client.post(
        reverse("contacts:identity_share", args=[son.pk]), {"identity": landline.pk}, follow=True
    )
    assert "is shared by Paul Sommer and Greta Sommer now" in shared.content.decode()
    for contact in (mother, son):
        tab = client.get(reverse("contacts:detail", args=[contact.pk]), {"tab": "identities"})
        assert 'class="badge badge-muted badge-shared"' in tab.content.decode()


def test_a_shared_address_offers_only_share_and_names_the_holders(
    client_for, alice, ada, mother, son, landline
):
    sharing.share_identity(son, identity=landline, actor=ada)
    third = ContactFactory(first_name="Lina", last_name="Sommer")

    offer = client_for(alice).post(
        reverse("contacts:identities", args=[third.pk]), {"kind": "phone", "value": LANDLINE}
    )

    page = offer.content.decode()
    assert "is shared by these contacts" in page
    assert "Greta Sommer" in page and "Paul Sommer" in page
    assert "Claim it" not in page and "Share it" in page


def test_sharing_needs_the_edit_right_and_a_visible_identity(
    client_for, bob, mother, son, landline
):
    # bob holds the agent role of another inbox; contacts are organisation-wide, so what
    # keeps him out is the identity id that does not exist and the right.
    client = client_for(bob)
    missing = client.post(reverse("contacts:identity_share", args=[son.pk]), {"identity": 99999})
    assert missing.status_code == 404
    bad = client.post(reverse("contacts:identity_share", args=[son.pk]), {"identity": "x"})
    assert bad.status_code == 404
    assert Identity.objects.filter(normalised=NORMALISED).count() == 1


def test_the_api_shows_the_mark_and_a_taken_address_is_a_conflict(ada, mother, son, landline):
    sharing.share_identity(son, identity=landline, actor=ada)

    out = IdentityOut.from_orm(Identity.objects.get(contact=son))
    assert out.shared is True


def test_an_opt_out_from_a_shared_number_lands_on_the_conversations_contact(
    ada, mother, son, landline
):
    sharing.share_identity(son, identity=landline, actor=ada)
    whatsapp = identity(son, "whatsapp", LANDLINE)

    target = identity_for_channel("sms", NORMALISED, fallback=whatsapp)

    assert target.contact_id == son.pk and target.kind == "phone"
    assert identity_for_channel("sms", NORMALISED).contact_id == mother.pk  # the first holder


def test_a_campaign_reaches_a_shared_number_once(
    ada, max_manager, mother, son, landline, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "locmem"
    sharing.share_identity(son, identity=landline, actor=ada)
    inbox = inbox_with("A", managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4940123456")
    campaign = campaign_actions.create_campaign(
        inbox=inbox, actor=max_manager, name="Service", channel="sms", type="service"
    )
    campaign_actions.update_campaign(
        campaign,
        actor=max_manager,
        values={
            "body": "Ihr Termin ist morgen.",
            "window_days": [],
            "rate": 100,
            "audience": {"rules": [{"field": "last_name", "op": "equals", "value": "Sommer"}]},
        },
    )
    campaign.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        campaign_actions.launch_campaign(campaign, actor=max_manager)

    # One of the two sharers gets it (whichever the freeze reads first), the other is skipped.
    rows = CampaignRecipient.objects.filter(campaign=campaign)
    assert {r.contact_id for r in rows} == {mother.pk, son.pk}
    assert sorted((r.status, r.skip_reason) for r in rows) == [
        ("queued", ""),
        ("skipped", "duplicate"),
    ]
