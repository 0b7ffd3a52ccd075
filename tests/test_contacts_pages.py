"""The contacts list, the panel and its profile tab, and the matching panel, over HTTP."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.actions import add_note
from contacts.models import AttributeDefinition, Contact, Tag
from tests.factories import ContactFactory, identity


@pytest.fixture
def people(organisation):
    jana = ContactFactory(
        first_name="Jana", last_name="Müller", company="Bäckerei Nord", kind="curated"
    )
    identity(jana, "email", "jana@example.de")
    identity(jana, "phone", "+49 170 1234567")
    jana.tags.add(Tag.objects.create(name="VIP"))
    nils = ContactFactory(
        first_name="Nils",
        last_name="Berg",
        company="Fiskeri AB",
        is_blocked=True,
        blocked_reason="Spam",
    )
    identity(nils, "whatsapp", "+46 70 123 45 67")
    temp = ContactFactory(first_name="", last_name="", company="", kind="ephemeral")
    return jana, nils, temp


def names(response):
    return re.findall(r'class="row-link" href="/contacts/(\d+)/"', response.content.decode())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("müll", "jana"),
        ("BÄCKEREI", "jana"),
        ("fisk", "nils"),
        ("jana@example.de", "jana"),
        ("0170 1234567", "jana"),
        ("+46701234567", "nils"),
        ("nobody@example.de", None),
    ],
)
def test_search_by_name_company_email_or_phone(client_for, alice, people, query, expected):
    jana, nils, _temp = people

    response = client_for(alice).get(reverse("contacts:index"), {"q": query})

    wanted = {"jana": [str(jana.pk)], "nils": [str(nils.pk)], None: []}[expected]
    assert names(response) == wanted


def test_a_search_shorter_than_three_characters_says_so(client_for, alice, people):
    response = client_for(alice).get(reverse("contacts:index"), {"q": "ja"})

    assert "Type at least 3 characters to search." in response.content.decode()


def test_filters_by_kind_tag_and_blocked(client_for, alice, people):
    jana, nils, temp = people
    client = client_for(alice)

    assert names(client.get(reverse("contacts:index"), {"kind": "ephemeral"})) == [str(temp.pk)]
    assert names(client.get(reverse("contacts:index"), {"tag": "vip"})) == [str(jana.pk)]
    assert names(client.get(reverse("contacts:index"), {"blocked": "yes"})) == [str(nils.pk)]


def test_the_list_pages_by_cursor_with_a_fixed_number_of_queries(
    client_for, alice, organisation, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("contacts.views.CONTACTS_PER_PAGE", 10)
    client = client_for(alice)
    for n in range(25):
        identity(ContactFactory(), "email", f"person{n}@example.com")

    with django_assert_max_num_queries(9) as small:
        first = client.get(reverse("contacts:index"))
    cursor = re.search(r"after=([\w-]+)", first.content.decode()).group(1)
    with django_assert_max_num_queries(9):
        second = client.get(
            reverse("contacts:index"), {"after": cursor}, headers={"HX-Request": "true"}
        )
    for n in range(25, 60):
        identity(ContactFactory(), "email", f"person{n}@example.com")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("contacts:index"))

    assert len(names(first)) == 10 and len(names(second)) == 10
    assert set(names(first)).isdisjoint(names(second))
    assert "<html" not in second.content.decode()
    assert "count(" not in " ".join(q["sql"].lower() for q in small.captured_queries)


def test_a_name_search_pages_newest_first_through_every_match_with_a_fixed_number_of_queries(
    client_for, alice, organisation, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("contacts.views.CONTACTS_PER_PAGE", 10)
    start = timezone.now() - timedelta(days=30)
    for n in range(40):
        contact = ContactFactory(
            last_name="Lindqvist" if n % 3 else "Berg",
            last_activity_at=start + timedelta(hours=n % 7, minutes=n),
        )
        identity(contact, "email", f"person{n}@example.com")
    merged = ContactFactory(last_name="Lindqvist", merged_into=Contact.objects.first())
    client = client_for(alice)
    client.get(reverse("contacts:index"))

    # The user, the page (its ids found through the activity index, its rows by id), their
    # identities and the tags of the filter.
    with django_assert_max_num_queries(4):
        response = client.get(reverse("contacts:index"), {"q": "lindq"})
    seen = names(response)
    while cursor := re.search(r"after=([\w-]+)", response.content.decode()):
        with django_assert_max_num_queries(4):
            response = client.get(
                reverse("contacts:index"),
                {"q": "lindq", "after": cursor.group(1)},
                headers={"HX-Request": "true"},
            )
        seen += names(response)

    everyone = Contact.objects.filter(merged_into__isnull=True, search_text__contains="lindq")
    assert seen == [
        str(pk) for pk in everyone.order_by("-last_activity_at", "-id").values_list("pk", flat=True)
    ]
    assert len(seen) == 26 and str(merged.pk) not in seen


@pytest.mark.parametrize("tab", ["summary", "profile", "identities", "more", "cases", "messages"])
def test_every_panel_tab_runs_a_fixed_number_of_queries(
    client_for, ada, people, tab, django_assert_max_num_queries
):
    jana, *_ = people
    client = client_for(ada)
    with django_assert_max_num_queries(16) as few:
        client.get(reverse("contacts:detail", args=[jana.pk]), {"tab": tab})
    for n in range(15):
        identity(jana, "email", f"jana{n}@example.de")
        add_note(jana, body=f"Note {n}", author=ada)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("contacts:detail", args=[jana.pk]), {"tab": tab})

    assert response.status_code == 200


def test_the_panel_is_a_fragment_for_htmx(client_for, alice, people):
    jana, *_ = people

    response = client_for(alice).get(
        reverse("contacts:detail", args=[jana.pk]),
        {"tab": "profile"},
        headers={"HX-Request": "true"},
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="contact-panel"')
    assert "<html" not in content


def test_the_profile_shows_only_attributes_with_a_value_in_the_admins_order(
    client_for, alice, people
):
    jana, *_ = people
    AttributeDefinition.objects.filter(key="company").update(position=0)
    AttributeDefinition.objects.filter(key="first_name").update(position=99)
    AttributeDefinition.objects.filter(key="last_name").update(visible=False)

    content = (
        client_for(alice)
        .get(reverse("contacts:detail", args=[jana.pk]), {"tab": "profile"})
        .content.decode()
    )

    keys = re.findall(r'class="attribute" data-key="(\w+)"', content)
    assert keys[0] == "company" and keys[-1] == "first_name"
    assert "last_name" not in keys and "job_title" not in keys
    assert 'href="mailto:jana@example.de"' in content
    assert 'href="tel:+491701234567"' in content
    assert 'data-copy="+491701234567"' in content


def test_profile_values_are_validated_by_type(client_for, alice, people):
    jana, *_ = people
    AttributeDefinition.objects.create(key="birthday", label="Birthday", type="date", position=20)
    AttributeDefinition.objects.create(key="website", label="Website", type="url", position=21)
    url = reverse("contacts:profile_edit", args=[jana.pk])
    client = client_for(alice)

    bad = client.post(
        url, {"first_name": "Jana", "birthday": "31.02.2024", "website": "javascript:alert(1)"}
    )

    assert bad.status_code == 422
    assert "Enter a date as YYYY-MM-DD." in bad.content.decode()
    assert "Enter a full web address" in bad.content.decode()
    jana.refresh_from_db()
    assert jana.attributes == {}

    good = client.post(
        url,
        {
            "first_name": "Jana",
            "last_name": "Müller",
            "birthday": "1990-04-01",
            "tags": "VIP, newsletter",
        },
    )

    assert good.status_code == 302
    jana.refresh_from_db()
    assert jana.attributes == {"birthday": "1990-04-01"}
    assert set(jana.tags.values_list("name", flat=True)) == {"newsletter", "VIP"}


def test_agents_cannot_write_attributes_that_are_not_agent_editable(client_for, alice, people):
    jana, *_ = people
    AttributeDefinition.objects.filter(key="account_id").update(agent_editable=False)

    from django.core.exceptions import ValidationError

    from contacts.actions import update_profile

    with pytest.raises(ValidationError):
        update_profile(jana, values={"account_id": "X-1"}, actor=alice)
    client_for(alice).post(
        reverse("contacts:profile_edit", args=[jana.pk]),
        {"first_name": "Jana", "account_id": "X-1"},
    )
    jana.refresh_from_db()
    assert jana.account_id == ""


@pytest.mark.parametrize(
    ("address", "state_text"),
    [
        ("0170 1234567", "Jana Müller"),
        ("+49 171 0000000", "No contact uses +491710000000"),
        ("12", "is not a valid phone number"),
    ],
)
def test_the_matching_panel_shows_the_three_states(client_for, alice, people, address, state_text):
    response = client_for(alice).get(
        reverse("contacts:match"), {"channel": "sms", "address": address}
    )

    assert state_text in response.content.decode()


def test_several_matches_are_listed_and_one_can_be_selected(client_for, alice, people):
    _jana, _nils, _ = people
    other = ContactFactory(first_name="Nina", last_name="Berg")
    identity(other, "phone", "+46 70 123 45 67")
    client = client_for(alice)

    listing = client.get(
        reverse("contacts:match"), {"channel": "whatsapp", "address": "+46701234567"}
    )
    filtered = client.get(
        reverse("contacts:match"),
        {"channel": "whatsapp", "address": "+46701234567", "filter": "nina"},
    )
    chosen = client.get(
        reverse("contacts:match"),
        {"channel": "whatsapp", "address": "+46701234567", "selected": other.pk},
    )

    assert "2 contacts use" in listing.content.decode()
    assert "Select contact" in listing.content.decode()
    assert "Nina Berg" in filtered.content.decode() and "Nils Berg" not in filtered.content.decode()
    assert "Back to the list" in chosen.content.decode()
    assert 'id="contact-panel"' in chosen.content.decode()


def test_create_new_contact_from_an_unknown_address(client_for, alice, organisation):
    response = client_for(alice).post(
        reverse("contacts:match_create"), {"channel": "email", "address": "New@Example.com"}
    )

    contact = Contact.objects.get(identities__normalised="new@example.com")
    assert response["Location"] == reverse("contacts:profile_edit", args=[contact.pk])
    assert contact.kind == "curated"


def test_a_hidden_attribute_is_not_repeated_in_the_panel_header(client_for, alice, people):
    jana, *_ = people
    Contact.objects.filter(pk=jana.pk).update(job_title="Head of purchasing")
    AttributeDefinition.objects.filter(key="job_title").update(visible=False)

    content = client_for(alice).get(reverse("contacts:detail", args=[jana.pk])).content.decode()

    assert "Head of purchasing" not in content
    assert "Bäckerei Nord" in content
