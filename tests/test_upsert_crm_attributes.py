"""CRM-owned attributes in the app: agents and admins see them read-only in the panel with
the "from CRM" mark and the last sync, the Profile form refuses them, admins choose the
owner in Settings → Contact attributes, and every change shows who made it in the Profile
tab's history — with the panel's query count fixed."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contacts.actions import update_profile
from contacts.models import AttributeDefinition, Contact
from contacts.upsert import UpsertItem, upsert_contacts
from tests.factories import ContactFactory, identity

pytestmark = pytest.mark.django_db


@pytest.fixture
def crm_tier(organisation):
    return AttributeDefinition.objects.create(
        key="crm_tier",
        label="CRM tier",
        type="choice",
        choices=["gold", "silver"],
        owner="crm",
        position=30,
    )


@pytest.fixture
def jana(organisation):
    contact = ContactFactory(first_name="Jana", last_name="Nowak", company="", kind="curated")
    identity(contact, "email", "jana@example.com")
    return contact


def crm_sync(organisation, actor, **attributes):
    return upsert_contacts(
        organisation,
        [UpsertItem(email="jana@example.com", attributes=attributes)],
        actor=actor,
        writer="crm",
        source="HubSpot sync",
    )


def profile_page(client, contact, **query):
    url = reverse("contacts:detail", args=[contact.pk])
    return client.get(url, {"tab": "profile", **query}).content.decode()


def test_the_panel_shows_a_crm_owned_attribute_read_only_with_the_mark_and_the_sync(
    client_for, alice, ada, organisation, crm_tier, jana
):
    [result] = crm_sync(organisation, ada, crm_tier="gold")
    assert result.status == "updated"

    page = profile_page(client_for(alice), jana)

    assert 'data-key="crm_tier"' in page
    assert "from CRM" in page
    assert "synced" in page
    assert "HubSpot sync" in page  # the history names the writer


def test_the_profile_form_has_no_field_for_a_crm_owned_attribute_and_refuses_a_forged_one(
    client_for, alice, ada, organisation, crm_tier, jana
):
    crm_sync(organisation, ada, crm_tier="gold")
    url = reverse("contacts:profile_edit", args=[jana.pk])
    for user in (alice, ada):
        client = client_for(user)
        form = client.get(url).content.decode()
        assert 'name="crm_tier"' not in form

        client.post(url, {"first_name": "Jana", "last_name": "Nowak", "crm_tier": "silver"})

    jana.refresh_from_db()
    assert jana.attributes["crm_tier"] == "gold"
    for user in (alice, ada):
        with pytest.raises(ValidationError) as refused:
            update_profile(jana, values={"crm_tier": "silver"}, actor=user)
        assert "attributes:write_crm" in refused.value.message_dict["crm_tier"][0]


def test_an_import_cannot_write_a_crm_owned_attribute(ada, organisation, crm_tier, jana):
    [result] = upsert_contacts(
        organisation,
        [UpsertItem(email="jana@example.com", attributes={"crm_tier": "gold"})],
        actor=ada,
        writer="import",
        source="contacts.csv",
    )

    assert result.status == "error"
    assert "attributes.crm_tier" in result.errors


def test_every_change_records_who_made_it_and_the_history_shows_it(
    client_for, alice, ada, organisation, crm_tier, jana
):
    crm_sync(organisation, ada, crm_tier="gold")
    client = client_for(alice)
    client.post(
        reverse("contacts:profile_edit", args=[jana.pk]),
        {"first_name": "Jana", "last_name": "Nowak", "company": "Fischer KG"},
    )

    jana.refresh_from_db()
    assert jana.provenance["crm_tier"]["writer"] == "crm"
    assert jana.provenance["crm_tier"]["by"] == "HubSpot sync"
    assert jana.provenance["company"] == {
        "by": "Alice Agent",
        "writer": "agent",
        "at": jana.provenance["company"]["at"],
    }
    page = profile_page(client, jana)
    history = page[page.index("History") :]
    assert "Company changed" in history and "by Alice Agent" in history
    assert "CRM tier changed" in history and "by HubSpot sync" in history


def test_the_profile_tab_keeps_a_fixed_query_count_with_a_long_history(
    client_for, alice, ada, organisation, crm_tier, jana, django_assert_max_num_queries
):
    client = client_for(alice)
    crm_sync(organisation, ada, crm_tier="gold")
    with django_assert_max_num_queries(16) as few:
        profile_page(client, jana)
    for n in range(25):
        crm_sync(organisation, ada, crm_tier=["gold", "silver"][n % 2])

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = profile_page(client, jana)

    assert page.count('<li data-key="crm_tier"') == 20


def test_an_admin_makes_an_attribute_crm_owned_in_settings(client_for, ada, organisation):
    plan = AttributeDefinition.objects.create(key="plan", label="Plan", type="text")
    company = AttributeDefinition.objects.get(key="company")
    client = client_for(ada)

    page = client.get(reverse("contact_settings:attribute_edit", args=[plan.pk])).content.decode()
    custom = client.post(
        reverse("contact_settings:attribute_edit", args=[plan.pk]),
        {"label": "Plan", "type": "text", "visible": "on", "owner": "crm"},
    )
    builtin = client.post(
        reverse("contact_settings:attribute_edit", args=[company.pk]),
        {"visible": "on", "agent_editable": "on", "owner": "crm"},
    )
    bad = client.post(
        reverse("contact_settings:attribute_edit", args=[plan.pk]),
        {"label": "Plan", "type": "text", "owner": "robots"},
    )
    listing = client.get(reverse("contact_settings:attributes")).content.decode()

    assert 'name="owner"' in page and "attributes:write_crm" in page
    assert custom.status_code == 302 and builtin.status_code == 302
    assert bad.status_code == 422
    plan.refresh_from_db()
    company.refresh_from_db()
    assert plan.owner == "crm" and company.owner == "crm"
    assert "badge-crm" in listing
    tags = AttributeDefinition.objects.get(key="tags")
    tags_page = client.get(reverse("contact_settings:attribute_edit", args=[tags.pk]))
    assert 'name="owner"' not in tags_page.content.decode()


def test_agents_cannot_set_the_owner(client_for, alice, organisation):
    plan = AttributeDefinition.objects.create(key="plan", label="Plan", type="text")

    response = client_for(alice).post(
        reverse("contact_settings:attribute_edit", args=[plan.pk]),
        {"label": "Plan", "type": "text", "owner": "crm"},
    )

    assert response.status_code in (403, 404)
    plan.refresh_from_db()
    assert plan.owner == "agents"
    assert Contact.objects.count() == 0
