"""Templates (seed 003: managers manage templates): Max manages inbox A's, Alice uses them
read-only, Bob of inbox B sees nothing of A's, Ada writes the organisation's; the composer's
picker offers the templates of a conversation's inbox and channel."""

import pytest
from django.urls import reverse

from accounts.models import AccountEvent
from campaigns.models import Template
from inbox.models import InboxEvent
from tests.factories import UserFactory, inbound, inbox_with

HTMX = {"HX-Request": "true"}


@pytest.fixture
def inbox_a(alice, max_manager):
    return inbox_with("Kundenservice", members=[alice], managers=[max_manager])


@pytest.fixture
def inbox_b(bob):
    return inbox_with("Vertrieb", members=[bob])


@pytest.fixture
def greeting(inbox_a, max_manager):
    return Template.objects.create(
        inbox=inbox_a,
        name="Begrüßung",
        channel="sms",
        language="de",
        body='Hallo {{ contact.first_name | default: "Kundin" }}, hier {{ account.company_name }}',
        created_by=max_manager,
    )


@pytest.fixture
def opening_hours(ada):
    return Template.objects.create(
        inbox=None, name="Opening hours", language="en", body="We are open 9-17.", created_by=ada
    )


def form_data(inbox=None, **extra):
    data = {
        "name": "Lieferzeit",
        "inbox": inbox.pk if inbox else "",
        "channel": "sms",
        "language": "de",
        "subject": "",
        "body": 'Hallo {{ contact.first_name | default: "Kundin" }}, Ihr Paket kommt morgen.',
    }
    data.update(extra)
    return data


def write_urls(template):
    return [
        reverse("campaign_templates:edit", args=[template.pk]),
        reverse("campaign_templates:delete", args=[template.pk]),
    ]


# --- Managers ------------------------------------------------------------------------------


def test_a_manager_creates_edits_and_deletes_a_template_of_their_inbox(
    client_for, max_manager, inbox_a
):
    client = client_for(max_manager)

    assert client.get(reverse("campaign_templates:create")).status_code == 200
    response = client.post(reverse("campaign_templates:create"), form_data(inbox_a))
    assert response.status_code == 302
    template = Template.objects.get()
    assert (template.inbox, template.name) == (inbox_a, "Lieferzeit")
    assert template.created_by == max_manager

    edit = reverse("campaign_templates:edit", args=[template.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, form_data(inbox_a, name="Lieferzeit (DHL)", language="en"))
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.name, template.language) == ("Lieferzeit (DHL)", "en")

    delete = reverse("campaign_templates:delete", args=[template.pk])
    confirm = client.get(delete)
    assert confirm.status_code == 200
    assert "Delete “Lieferzeit (DHL)”?" in confirm.content.decode()
    assert Template.objects.exists()  # asking deletes nothing
    assert client.post(delete).status_code == 302
    assert not Template.objects.exists()

    events = InboxEvent.objects.filter(inbox=inbox_a, actor=max_manager).order_by("id")
    assert [(e.kind, e.data["name"]) for e in events] == [
        ("template_created", "Lieferzeit"),
        ("template_updated", "Lieferzeit (DHL)"),
        ("template_deleted", "Lieferzeit (DHL)"),
    ]
    assert events[1].data["changed"] == ["name", "language"]


def test_saving_without_a_change_writes_no_event(client_for, max_manager, inbox_a, greeting):
    data = form_data(inbox_a, name=greeting.name, body=greeting.body)

    response = client_for(max_manager).post(
        reverse("campaign_templates:edit", args=[greeting.pk]), data
    )

    assert response.status_code == 302
    assert not InboxEvent.objects.filter(kind="template_updated").exists()


def test_a_manager_keeps_templates_only_in_inboxes_they_manage(
    client_for, max_manager, inbox_a, inbox_b
):
    client = client_for(max_manager)

    for inbox in (inbox_b, None):
        response = client.post(reverse("campaign_templates:create"), form_data(inbox))
        assert response.status_code == 422
    assert not Template.objects.exists()
    page = client.get(reverse("campaign_templates:create")).content.decode()
    assert "Kundenservice" in page
    assert "Vertrieb" not in page
    assert "All inboxes" not in page


def test_a_manager_reads_but_does_not_change_organisation_templates(
    client_for, max_manager, inbox_a, opening_hours
):
    client = client_for(max_manager)

    detail = reverse("campaign_templates:detail", args=[opening_hours.pk])
    assert client.get(detail).status_code == 200
    for url in write_urls(opening_hours):
        assert client.get(url).status_code == 403
        assert client.post(url, form_data(inbox_a)).status_code == 403
    assert Template.objects.filter(pk=opening_hours.pk, name="Opening hours").exists()


def test_the_subject_is_kept_only_for_email(client_for, max_manager, inbox_a):
    client = client_for(max_manager)

    client.post(reverse("campaign_templates:create"), form_data(inbox_a, subject="Ihr Paket"))
    client.post(
        reverse("campaign_templates:create"),
        form_data(inbox_a, name="Per Mail", channel="email", subject="Ihr Paket"),
    )

    assert dict(Template.objects.values_list("name", "subject")) == {
        "Lieferzeit": "",
        "Per Mail": "Ihr Paket",
    }


# --- Validation ----------------------------------------------------------------------------


def test_an_unknown_variable_is_refused_at_save_and_the_input_is_kept(
    client_for, max_manager, inbox_a
):
    body = "Hallo {{ contact.shoe_size }}, bis bald!"

    response = client_for(max_manager).post(
        reverse("campaign_templates:create"), form_data(inbox_a, body=body)
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "There is no variable contact.shoe_size." in page
    assert "Hallo {{ contact.shoe_size }}, bis bald!" in page
    assert 'value="Lieferzeit"' in page
    assert not Template.objects.exists()


def test_an_unknown_variable_in_an_email_subject_is_refused(client_for, max_manager, inbox_a):
    data = form_data(inbox_a, channel="email", subject="Für {{ account.nickname }}")

    response = client_for(max_manager).post(reverse("campaign_templates:create"), data)

    assert response.status_code == 422
    assert "There is no variable account.nickname." in response.content.decode()


def test_a_template_syntax_mistake_is_refused(client_for, max_manager, inbox_a):
    data = form_data(inbox_a, body="Hallo {{ contact.first_name ")

    response = client_for(max_manager).post(reverse("campaign_templates:create"), data)

    assert response.status_code == 422
    assert "mistake on line 1" in response.content.decode()


def test_an_edit_with_an_unknown_variable_changes_nothing(
    client_for, max_manager, inbox_a, greeting
):
    url = reverse("campaign_templates:edit", args=[greeting.pk])

    response = client_for(max_manager).post(url, form_data(inbox_a, body="{{ contact.nope }}"))

    assert response.status_code == 422
    greeting.refresh_from_db()
    assert greeting.name == "Begrüßung"


# --- Members, other inboxes, admins --------------------------------------------------------


def test_members_see_their_inboxs_templates_read_only(client_for, alice, greeting, opening_hours):
    client = client_for(alice)

    page = client.get(reverse("campaign_templates:index")).content.decode()
    assert "Begrüßung" in page
    assert "Opening hours" in page
    assert "New template" not in page
    assert reverse("campaign_templates:edit", args=[greeting.pk]) not in page
    assert client.get(reverse("campaign_templates:detail", args=[greeting.pk])).status_code == 200

    assert client.get(reverse("campaign_templates:create")).status_code == 403
    assert client.post(reverse("campaign_templates:create"), form_data()).status_code == 403
    for template in (greeting, opening_hours):
        for url in write_urls(template):
            assert client.get(url).status_code == 403
            assert client.post(url, form_data()).status_code == 403
    assert Template.objects.count() == 2


def test_another_inboxs_templates_are_404(client_for, bob, inbox_b, greeting, opening_hours):
    client = client_for(bob)

    page = client.get(reverse("campaign_templates:index")).content.decode()
    assert "Begrüßung" not in page
    assert "Opening hours" in page  # the organisation's are for everyone who works in an inbox
    for url in [reverse("campaign_templates:detail", args=[greeting.pk]), *write_urls(greeting)]:
        assert client.get(url).status_code == 404
        assert client.post(url, form_data(inbox_b)).status_code == 404
    assert Template.objects.filter(pk=greeting.pk, name="Begrüßung").exists()


def test_a_user_of_no_inbox_sees_no_templates(client_for, organisation, opening_hours):
    client = client_for(UserFactory(email="new@nordlicht.example"))

    assert "Opening hours" not in client.get(reverse("campaign_templates:index")).content.decode()
    detail = reverse("campaign_templates:detail", args=[opening_hours.pk])
    assert client.get(detail).status_code == 404


def test_admins_write_organisation_templates(client_for, ada, inbox_a):
    client = client_for(ada)

    assert "All inboxes" in client.get(reverse("campaign_templates:create")).content.decode()
    response = client.post(reverse("campaign_templates:create"), form_data(None, name="Hinweis"))
    assert response.status_code == 302
    template = Template.objects.get()
    assert template.inbox is None

    edit = reverse("campaign_templates:edit", args=[template.pk])
    assert client.post(edit, form_data(None, name="Hinweis (neu)")).status_code == 302
    assert client.post(reverse("campaign_templates:delete", args=[template.pk])).status_code == 302
    assert not Template.objects.exists()

    events = AccountEvent.objects.filter(actor=ada).order_by("id")
    assert [(e.kind, e.data["name"]) for e in events] == [
        ("template_created", "Hinweis"),
        ("template_updated", "Hinweis (neu)"),
        ("template_deleted", "Hinweis (neu)"),
    ]
    assert not InboxEvent.objects.filter(kind__startswith="template_").exists()


def test_moving_a_template_to_every_inbox_is_recorded_on_both_sides(
    client_for, ada, inbox_a, greeting
):
    url = reverse("campaign_templates:edit", args=[greeting.pk])

    response = client_for(ada).post(url, form_data(None, name=greeting.name, body=greeting.body))

    assert response.status_code == 302
    greeting.refresh_from_db()
    assert greeting.inbox is None
    assert InboxEvent.objects.get(inbox=inbox_a, kind="template_updated").data["moved_to"] is None
    assert AccountEvent.objects.get(kind="template_updated").data["changed"] == ["inbox"]


# --- The list ------------------------------------------------------------------------------


def test_the_empty_list_invites_managers_to_write_one(client_for, max_manager, alice, inbox_a):
    page = client_for(max_manager).get(reverse("campaign_templates:index")).content.decode()
    assert "No templates yet" in page
    assert reverse("campaign_templates:create") in page

    page = client_for(alice).get(reverse("campaign_templates:index")).content.decode()
    assert "No templates yet" in page
    assert reverse("campaign_templates:create") not in page


def test_the_list_filters_by_inbox_channel_language_and_name(
    client_for, ada, inbox_a, inbox_b, greeting, opening_hours
):
    Template.objects.create(inbox=inbox_b, name="Angebot", channel="email", language="de", body="x")
    client = client_for(ada)

    def names(**query):
        response = client.get(reverse("campaign_templates:index"), query, headers=HTMX)
        assert response.status_code == 200
        page = response.content.decode()
        return {n for n in ("Begrüßung", "Opening hours", "Angebot") if n in page}

    assert names() == {"Begrüßung", "Opening hours", "Angebot"}
    assert names(inbox=inbox_a.pk) == {"Begrüßung"}
    assert names(inbox="all") == {"Opening hours"}
    assert names(channel="email") == {"Opening hours", "Angebot"}  # any channel counts
    assert names(language="de") == {"Begrüßung", "Angebot"}
    assert names(q="begr") == {"Begrüßung"}
    assert (
        "No templates match"
        in client.get(reverse("campaign_templates:index"), {"q": "zzz"}).content.decode()
    )


def test_the_list_costs_the_same_queries_for_few_and_many_templates(
    client_for, max_manager, inbox_a, django_assert_max_num_queries
):
    client = client_for(max_manager)
    url = reverse("campaign_templates:index")
    client.get(url)  # the session and the user's inboxes are cached from here on

    def create(count):
        Template.objects.bulk_create(
            Template(inbox=inbox_a if i % 2 else None, name=f"T{i:03}", language="de", body="x")
            for i in range(count)
        )

    create(2)
    with django_assert_max_num_queries(3):
        assert client.get(url).status_code == 200
    create(40)
    with django_assert_max_num_queries(3):
        assert client.get(url).status_code == 200


def test_a_long_list_shows_more_on_request(client_for, max_manager, inbox_a):
    Template.objects.bulk_create(
        Template(inbox=inbox_a, name=f"T{i:03}", language="de", body="x") for i in range(55)
    )
    client = client_for(max_manager)

    first = client.get(reverse("campaign_templates:index")).content.decode()
    assert "T049" in first
    assert "T050" not in first
    more = client.get(reverse("campaign_templates:index"), {"after": "nonsense"})
    assert more.status_code == 404


# --- The composer's picker -----------------------------------------------------------------


@pytest.fixture
def conversation(inbox_a):
    return inbound(inbox_a, channel="sms").conversation


def test_the_picker_offers_the_inboxs_templates_for_the_channel(
    client_for, alice, inbox_a, inbox_b, conversation, greeting, opening_hours
):
    Template.objects.create(
        inbox=inbox_a, name="Per Mail", channel="email", language="de", body="x"
    )
    Template.objects.create(inbox=inbox_b, name="Angebot", channel="sms", language="de", body="x")
    client = client_for(alice)
    url = reverse("campaign_templates:pick")

    response = client.get(url, {"conversation": conversation.pk}, headers=HTMX)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="template-picker"' in page
    assert "<html" not in page
    assert "Begrüßung" in page
    assert "Opening hours" in page
    assert "Per Mail" not in page  # an e-mail template in an SMS conversation
    assert "Angebot" not in page  # another inbox's
    assert 'data-insert-template="Hallo {{ contact.first_name | default: &quot;Kundin' in page


def test_the_picker_searches_names_and_texts(
    client_for, alice, conversation, greeting, opening_hours
):
    client = client_for(alice)
    url = reverse("campaign_templates:pick")

    response = client.get(url, {"conversation": conversation.pk, "q": "open 9"}, headers=HTMX)

    page = response.content.decode()
    assert 'id="template-picker-results"' in page
    assert 'id="template-picker"' not in page  # the list alone, under the search box
    assert "Opening hours" in page
    assert "Begrüßung" not in page


def test_the_picker_is_a_page_without_javascript(client_for, alice, conversation, greeting):
    response = client_for(alice).get(
        reverse("campaign_templates:pick"), {"conversation": conversation.pk}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" in page
    assert "Begrüßung" in page
    assert reverse("inbox:conversation", args=[conversation.pk]) in page


def test_the_picker_of_another_inboxs_conversation_is_404(client_for, bob, inbox_b, conversation):
    client = client_for(bob)
    url = reverse("campaign_templates:pick")

    assert client.get(url, {"conversation": conversation.pk}).status_code == 404
    assert client.get(url, {"conversation": conversation.pk}, headers=HTMX).status_code == 404
    assert client.get(url).status_code == 404
    assert client.get(url, {"conversation": "x"}).status_code == 404


def test_the_picker_button_opens_the_picker_of_its_conversation(rf, alice, conversation):
    from django.template.loader import render_to_string

    from campaigns.template_views import composer_tool

    tool = composer_tool(alice, conversation)
    assert tool is not None
    html = render_to_string(tool["template"], tool, request=rf.get("/"))

    pick = reverse("campaign_templates:pick") + f"?conversation={conversation.pk}"
    assert f'hx-get="{pick}"' in html
    assert f'href="{pick}"' in html
    assert 'id="template-picker"' in html
