"""The contact panel opens on Summary with the contact's attributes on top (seed 000: the
attributes the admin enabled appear on the right of the workspace): the enabled, filled
ones in the admin's order, CRM-owned ones with their mark, then activity and the notes box —
with the panel's query count fixed."""

import re

import pytest
from django.urls import reverse

from contacts.models import AttributeDefinition
from tests.factories import ContactFactory, identity, inbound, inbox_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def jana(organisation):
    contact = ContactFactory(
        first_name="Jana",
        last_name="Nowak",
        company="Nordlicht GmbH",
        job_title="Einkauf",
        kind="curated",
        attributes={"plan": "Gold", "crm_tier": "A"},
    )
    identity(contact, "email", "jana@example.com")
    return contact


@pytest.fixture
def definitions(organisation):
    plan = AttributeDefinition.objects.create(key="plan", label="Plan", type="text", position=1)
    crm = AttributeDefinition.objects.create(
        key="crm_tier", label="CRM tier", type="text", owner="crm", position=2
    )
    AttributeDefinition.objects.create(key="empty_one", label="Empty one", type="text")
    # The admin's order: Plan, CRM tier, Company, e-mail, job title hidden from agents.
    order = ["plan", "crm_tier", "company", "email", "first_name", "last_name"]
    for position, key in enumerate(order):
        AttributeDefinition.objects.filter(key=key).update(position=position)
    AttributeDefinition.objects.filter(key="job_title").update(visible=False)
    AttributeDefinition.objects.changed()
    return plan, crm


def summary_keys(html):
    section = html[html.index('id="summary-attributes"') :]
    section = section[: section.index("</dl>")]
    return re.findall(r'data-key="([\w-]+)"', section)


def test_summary_lists_the_enabled_filled_attributes_in_the_admins_order(
    client_for, alice, jana, definitions
):
    html = client_for(alice).get(reverse("contacts:detail", args=[jana.pk])).content.decode()

    keys = summary_keys(html)
    assert keys[:4] == ["plan", "crm_tier", "company", "email"]
    assert "job_title" not in keys  # hidden from agents
    assert "empty_one" not in keys  # no value
    assert "Gold" in html and "Nordlicht GmbH" in html and "jana@example.com" in html
    crm_row = html[html.index('data-key="crm_tier"') :]
    assert crm_row.index("data-crm-mark") < crm_row.index("</div>")
    # Then the activity, then the notes with their box.
    assert (
        html.index('id="summary-attributes"')
        < html.index(">Activity<")
        < html.index(">Notes<")
        < html.index('name="body"')
    )


def test_the_workspace_panel_opens_on_summary_with_the_attributes(
    client_for, alice, jana, definitions
):
    inbox = inbox_with("Support", "open", members=[alice])
    message = inbound(inbox, address="jana@example.com", channel="email")
    assert message.conversation.contact_id == jana.pk

    url = reverse("inbox:conversation", args=[message.conversation_id])
    html = client_for(alice).get(url).content.decode()

    assert summary_keys(html)[:3] == ["plan", "crm_tier", "company"]


def test_a_contact_without_filled_attributes_has_no_empty_details_section(client_for, alice):
    bare = ContactFactory(first_name="", last_name="", company="", job_title="", kind="curated")

    html = client_for(alice).get(reverse("contacts:detail", args=[bare.pk])).content.decode()

    assert 'id="summary-attributes"' not in html


def test_summary_keeps_a_fixed_query_count_however_many_attributes_are_filled(
    client_for, alice, jana, definitions, django_assert_max_num_queries
):
    for n in range(12):
        AttributeDefinition.objects.create(key=f"extra_{n}", label=f"Extra {n}", type="text")
    client = client_for(alice)
    url = reverse("contacts:detail", args=[jana.pk])
    client.get(url)  # the attribute definitions are cached from here on
    with django_assert_max_num_queries(16) as few:
        client.get(url, {"tab": "summary", "embedded": "1"}, headers={"HX-Request": "true"})
    for n in range(12):
        jana.attributes[f"extra_{n}"] = f"Wert {n}"
        identity(jana, "email", f"jana{n}@example.de")
    jana.save()
    jana.tags.create(name="vip")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(
            url, {"tab": "summary", "embedded": "1"}, headers={"HX-Request": "true"}
        )

    assert "Wert 11" in response.content.decode()


def test_another_inbox_sees_no_panel_of_a_conversation_it_cannot_see(client_for, bob, jana):
    inbox = inbox_with("Support", "open")
    message = inbound(inbox, address="jana@example.com", channel="email")

    response = client_for(bob).get(reverse("inbox:conversation", args=[message.conversation_id]))

    assert response.status_code == 404
