"""Message templates (inbox.variables, Liquid): defaults in their order, missing values refused
by name, unknown variables and mistakes refused when checked, resource limits, the earlier
`{contact_first_name|there}` syntax, and the places that use them — the reply box, the contact
card's send form, and the settings for account variables and attribute default values."""

import time
import uuid

import pytest
from django.urls import reverse

from accounts.models import AccountEvent, Organisation
from contacts.models import AttributeDefinition
from inbox.channels import locmem
from inbox.models import Message
from inbox.variables import (
    MissingVariables,
    TemplateError,
    check_template,
    message_context,
    render_for,
    render_message,
    upgrade_legacy_syntax,
    variables_menu,
)
from tests.factories import ContactFactory, identity, inbound, inbox_with

HX = {"HX-Request": "true"}


def set_default(key, value):
    definition = AttributeDefinition.objects.get(key=key)
    definition.default_value = value
    definition.save()


def custom_attribute(key, **fields):
    return AttributeDefinition.objects.create(
        key=key, label=key.replace("_", " ").title(), type="text", position=50, **fields
    )


@pytest.fixture
def jana(organisation):
    contact = ContactFactory(first_name="Jana", last_name="Berg", company="Berg KG")
    identity(contact, "phone", "+49 170 1234567")
    identity(contact, "email", "Jana@Berg.example")
    return contact


@pytest.fixture
def nameless(organisation):
    return ContactFactory(first_name="", last_name="", company="")


# --- Rendering ----------------------------------------------------------------------------


def test_the_context_holds_the_account_and_every_contact_attribute(organisation, jana):
    organisation.variables = {"opening_hours": "Mo-Fr 8-18 Uhr", "empty": ""}
    organisation.save()
    custom_attribute("customer_number")
    jana.attributes = {"customer_number": "K-4711", "blank": "", "vip": True}
    jana.job_title = "Inhaberin"
    jana.save()

    context = message_context(Organisation.load(), jana)

    assert context["account"] == {
        "company_name": "Nordlicht GmbH",
        "company_address": "Hafenstraße 12, 20457 Hamburg",
        "company_email": "service@nordlicht.example",
        "company_phone": "+49 40 1234567",
        "opening_hours": "Mo-Fr 8-18 Uhr",
    }
    assert context["contact"] == {
        "first_name": "Jana",
        "last_name": "Berg",
        "company": "Berg KG",
        "job_title": "Inhaberin",
        "email": "jana@berg.example",
        "phone": "+49 170 1234567",
        "customer_number": "K-4711",
        "vip": True,
    }
    assert message_context(Organisation.load(), None)["contact"] == {}


def test_values_and_the_default_filter(organisation, jana, nameless):
    text = 'Hallo {{ contact.first_name | default: "zusammen" }}, hier {{ account.company_name }}.'

    assert render_for(text, organisation, jana) == "Hallo Jana, hier Nordlicht GmbH."
    assert render_for(text, organisation, nameless) == "Hallo zusammen, hier Nordlicht GmbH."
    assert render_for(text, organisation, None) == "Hallo zusammen, hier Nordlicht GmbH."


def test_an_attribute_default_fills_in_for_a_missing_value(organisation, nameless):
    set_default("first_name", "Kundin")

    assert render_for("Hallo {{ contact.first_name }}!", organisation, nameless) == "Hallo Kundin!"
    assert render_for("{{ contact.first_name | upcase }}", organisation, nameless) == "KUNDIN"


def test_the_templates_own_default_comes_before_the_attributes(organisation, nameless, jana):
    set_default("first_name", "Kundin")
    text = '{{ contact.first_name | default: "liebe Kundschaft" }}'

    assert render_for(text, organisation, nameless) == "liebe Kundschaft"
    assert render_for(text, organisation, jana) == "Jana"


def test_a_missing_value_without_default_is_refused_naming_it(organisation):
    jana = ContactFactory(first_name="Jana", last_name="", company="")

    with pytest.raises(MissingVariables) as refused:
        render_for("Hallo {{ contact.last_name }} von {{ contact.company }}", organisation, jana)

    assert refused.value.paths == ["contact.company", "contact.last_name"]
    assert refused.value.message == (
        "Jana has no value for contact.company, contact.last_name and these variables have "
        "no default."
    )
    assert isinstance(refused.value, TemplateError) and isinstance(refused.value, ValueError)


def test_a_missing_account_value_points_to_the_organisation_settings(organisation, jana):
    organisation.phone = ""
    organisation.save()

    with pytest.raises(MissingVariables) as refused:
        render_for("Rufen Sie an: {{ account.company_phone }}", Organisation.load(), jana)

    assert "The organisation has no value for account.company_phone" in refused.value.message
    assert "Settings → Organisation" in refused.value.message


def test_a_template_can_test_whether_a_value_is_there(organisation, jana, nameless):
    text = "{% if contact.first_name %}Hallo {{ contact.first_name }}{% else %}Guten Tag{% endif %}"

    assert render_for(text, organisation, jana) == "Hallo Jana"
    assert render_for(text, organisation, nameless) == "Guten Tag"


def test_html_is_inserted_as_it_is_not_escaped(organisation):
    contact = ContactFactory(first_name="<b>Jana</b>", company="Berg & Söhne")

    text = "{{ contact.first_name }} · {{ contact.company }}"
    assert render_for(text, organisation, contact) == "<b>Jana</b> · Berg & Söhne"


@pytest.mark.parametrize(
    "text",
    [
        "{{ contact.first_name.__class__ }}",
        "{{ contact.first_name.__class__.__mro__ }}",
        "{{ account.company_name.upper }}",
    ],
)
def test_python_attributes_are_not_reachable(organisation, jana, text):
    # Liquid only looks keys up in the plain dicts: there is nothing to call.
    with pytest.raises(TemplateError, match="There is no variable"):
        check_template(text)
    with pytest.raises(MissingVariables):
        render_for(text, organisation, jana)


@pytest.mark.parametrize(
    "text", ['{% include "secrets" %}', '{% render "x" %}', '{{ "x".__class__ }}']
)
def test_partials_and_expressions_on_literals_are_syntax_errors(organisation, text):
    with pytest.raises(TemplateError, match="The message has a mistake on line 1"):
        check_template(text)


# --- Checking -----------------------------------------------------------------------------


def test_known_variables_pass_the_check(organisation):
    organisation.variables = {"opening_hours": "8-18"}
    organisation.save()
    custom_attribute("customer_number")

    check_template(
        "{{ account.company_name }} {{ account.opening_hours }} {{ contact.first_name }} "
        '{{ contact.customer_number | default: "-" }} {{ contact.email }} {{ contact.phone }} '
        "{% assign greeting = 'Hallo' %}{{ greeting }} {% for i in (1..3) %}{{ i }}{% endfor %}"
        "{{ contact.gender | downcase }}"
    )


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ("{{ contact.shoe_size }}", "contact.shoe_size"),
        ("{{ account.nope }}", "account.nope"),
        ("Code {{ order_id }}", "order_id"),
        ("{{ contact.tags }}", "contact.tags"),
        ("{{ contact }}", "contact"),
    ],
)
def test_an_unknown_variable_is_refused_by_name(organisation, text, unknown):
    with pytest.raises(TemplateError) as refused:
        check_template(text)

    assert refused.value.message == (
        f"There is no variable {unknown}. Insert variables from the Variables menu."
    )


def test_a_syntax_error_says_where_and_what(organisation):
    with pytest.raises(TemplateError) as refused:
        check_template("Hallo\n{{ contact.first_name | default: 'du' ")

    assert refused.value.message.startswith("The message has a mistake on line 2: ")
    assert "the Variables menu inserts them for you" in refused.value.message


def test_an_unknown_filter_is_refused_at_the_check(organisation):
    with pytest.raises(TemplateError, match=r"There is no filter shout\."):
        check_template("{{ contact.first_name | shout }}")


# --- Resource limits ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "{% for i in (1..1000000000) %}x{% endfor %}",
        "{% for i in (1..999) %}{% for j in (1..999) %}x{% endfor %}{% endfor %}",
        "{% for i in (1..900) %}" + "x" * 100 + "{% endfor %}",
        "{{ (1..1000000000000) | join: ',' }}",
        "{{ (1..1000000000000) | sum }}",
        "{{ 'a' | append: 'aaaaaaaaaa' | replace: 'a', '"
        + "a" * 200
        + "' | replace: 'a', '"
        + "a" * 200
        + "' }}",
        "{% assign x = 'aaaaaaaaaa' %}{% for i in (1..40) %}{% assign x = x | append: x %}"
        "{% endfor %}{{ x | size }}",
    ],
)
def test_a_template_that_would_run_away_is_refused_quickly(organisation, jana, text):
    started = time.monotonic()

    with pytest.raises(TemplateError) as refused:
        render_for(text, organisation, jana)

    assert time.monotonic() - started < 2
    assert refused.value.message == (
        "The message would get too long (over 20,000 characters) or repeat too often. "
        "Shorten it or take out the loop."
    )


# --- The earlier syntax -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{contact_first_name|there}", '{{ contact.first_name | default: "there" }}'),
        ("{company_name}", "{{ account.company_name }}"),
        ("{contact_company| die Firma }", '{{ contact.company | default: "die Firma" }}'),
        ('{contact_last_name|"Frau"}', "{{ contact.last_name | default: '\"Frau\"' }}"),
        ("{order_id} {x|y} { stay }", "{order_id} {x|y} { stay }"),
    ],
)
def test_upgrade_legacy_syntax(text, expected):
    assert upgrade_legacy_syntax(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi {contact_first_name}!", "Hi Jana!"),
        ("Hi {contact_first_name|there}!", "Hi Jana!"),
        ("{contact_last_name}, {contact_company}", "Berg, Berg KG"),
        ("{company_name} · {company_phone}", "Nordlicht GmbH · +49 40 1234567"),
        (
            "{company_address} / {company_email}",
            "Hafenstraße 12, 20457 Hamburg / service@nordlicht.example",
        ),
        ("Your code is {order_id} {x|y}", "Your code is {order_id} {x|y}"),
        ("Braces { stay } and {}", "Braces { stay } and {}"),
        ("No variables at all", "No variables at all"),
    ],
)
def test_the_earlier_syntax_still_renders(organisation, jana, text, expected):
    assert render_for(text, organisation, jana) == expected
    check_template(text)


def test_the_earlier_default_works_and_a_missing_value_is_now_refused(organisation, nameless):
    assert render_for("Hi {contact_first_name|there}!", organisation, nameless) == "Hi there!"
    with pytest.raises(MissingVariables, match=r"contact\.first_name"):
        render_for("Hi {contact_first_name}!", organisation, nameless)


def test_text_with_liquid_is_not_upgraded(organisation, jana):
    text = "{{ contact.first_name }} {company_name}"
    assert render_for(text, organisation, jana) == "Jana {company_name}"


def test_render_message_takes_a_plain_context():
    context = {"account": {"company_name": "Nordlicht"}, "contact": {"first_name": "Jana"}}

    assert (
        render_message(
            "{{ contact.first_name }} / {{ account.company_name }}", context, defaults={}
        )
        == "Jana / Nordlicht"
    )
    assert render_message("{{ contact.x }}", context, defaults={"contact.x": "-"}) == "-"


# --- The variables menu -------------------------------------------------------------------


def test_the_menu_inserts_liquid_and_a_default_where_the_attribute_has_none(organisation):
    organisation.variables = {"opening_hours": "8-18"}
    organisation.phone = ""
    organisation.save()
    set_default("first_name", "Kundin")

    account, contact = variables_menu()

    assert [e.token for e in account.entries] == [
        "{{ account.company_name }}",
        "{{ account.company_address }}",
        "{{ account.company_email }}",
        "{{ account.opening_hours }}",
    ]
    entries = {e.path: e for e in contact.entries}
    assert "contact.tags" not in entries and "contact.remarks" not in entries
    assert entries["contact.first_name"].token == "{{ contact.first_name }}"
    assert entries["contact.first_name"].caret is None
    last_name = entries["contact.last_name"]
    assert last_name.token == '{{ contact.last_name | default: "" }}'
    assert last_name.token[: last_name.caret] == '{{ contact.last_name | default: "'
    for entry in [*account.entries, *contact.entries]:
        check_template(entry.token)


# --- The reply box ------------------------------------------------------------------------


@pytest.fixture
def conversation(alice, jana):
    inbox = inbox_with("Support A", members=[alice])
    message = inbound(inbox, "+49 170 1234567")
    message.conversation.contact = jana
    message.conversation.save(update_fields=["contact"])
    return message.conversation


def reply(client, conversation, body, **headers):
    url = reverse("inbox:conversation_reply", args=[conversation.pk])
    return client.post(url, {"body": body, "client_id": str(uuid.uuid4())}, headers=headers)


def test_a_reply_is_rendered_with_the_engine(client_for, alice, conversation):
    body = "Hallo {{ contact.first_name }}, Ihr Paket von {{ account.company_name }} ist da."

    response = reply(client_for(alice), conversation, body)

    assert response.status_code == 302
    sent = conversation.messages.get(direction="out")
    assert sent.body == "Hallo Jana, Ihr Paket von Nordlicht GmbH ist da."


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
def test_a_reply_with_a_missing_value_is_refused_and_the_text_kept(
    client_for, alice, conversation, headers
):
    body = "Sehr geehrte Frau {{ contact.job_title }}, <danke>"

    response = reply(client_for(alice), conversation, body, **headers)

    assert response.status_code == 422
    page = response.content.decode()
    assert "Jana Berg has no value for contact.job_title and the variable has no default." in page
    assert "Sehr geehrte Frau {{ contact.job_title }}, &lt;danke&gt;</textarea>" in page
    assert not conversation.messages.filter(direction="out").exists()


def test_a_reply_with_a_mistake_or_unknown_variable_is_refused(client_for, alice, conversation):
    client = client_for(alice)

    broken = reply(client, conversation, "Hallo {{ contact.first_name", **HX)
    unknown = reply(client, conversation, "Hallo {{ contact.nickname }}", **HX)

    assert broken.status_code == unknown.status_code == 422
    assert "The message has a mistake on line 1" in broken.content.decode()
    assert "There is no variable contact.nickname." in unknown.content.decode()
    assert not Message.objects.filter(direction="out").exists()


def test_the_composer_offers_the_variables_menu(client_for, alice, conversation):
    page = client_for(alice).get(reverse("inbox:conversation", args=[conversation.pk]))

    html = page.content.decode()
    assert 'data-insert-variable="{{ account.company_name }}"' in html
    assert (
        'data-insert-variable="{{ contact.first_name | default: &quot;&quot; }}" '
        'data-insert-caret="34"' in html
    )


# --- The contact card's send form ---------------------------------------------------------


@pytest.fixture
def sms_inbox(alice, settings, monkeypatch):
    from inbox.models import InboxChannel

    monkeypatch.setattr(
        "django.db.transaction.on_commit", lambda func, using=None, robust=False: func()
    )
    settings.SMS_BACKEND = "locmem"
    locmem.reset()
    inbox = inbox_with("Kundenservice", members=[alice])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4940111111")
    yield inbox
    locmem.reset()


def send(client, contact, inbox, body):
    fields = {
        "address": "+491701234567",
        "channel": "sms",
        "inbox": str(inbox.pk),
        "body": body,
        "client_id": str(uuid.uuid4()),
    }
    return client.post(reverse("inbox:contact_send", args=[contact.pk]), fields, headers=HX)


def test_the_contact_card_sends_through_the_engine(client_for, alice, sms_inbox, jana):
    set_default("job_title", "Kundin")

    response = send(
        client_for(alice),
        jana,
        sms_inbox,
        "Hallo {{ contact.first_name }} ({{ contact.job_title }})",
    )

    assert response.status_code == 200
    [sent] = locmem.outbox
    assert sent.body == "Hallo Jana (Kundin)"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("Hallo {{ contact.job_title }}", "Jana Berg has no value for contact.job_title"),
        ("Hallo {{ contact.nickname }}", "There is no variable contact.nickname."),
        ("Hallo {% if %}", "The message has a mistake on line 1"),
    ],
)
def test_the_contact_card_refuses_what_cannot_be_filled_in(
    client_for, alice, sms_inbox, jana, body, reason
):
    response = send(client_for(alice), jana, sms_inbox, body)

    assert response.status_code == 422
    page = response.content.decode()
    assert reason in page
    assert f">{body}</textarea>" in page
    assert locmem.outbox == []
    assert not Message.objects.exists()


# --- Settings: account variables ----------------------------------------------------------

ORGANISATION_URL = reverse("settings:organisation")


def organisation_post(rows, **fields):
    data = {
        "name": "Nordlicht GmbH",
        "address": "Hafenstraße 12, 20457 Hamburg",
        "email": "service@nordlicht.example",
        "phone": "+49 40 1234567",
        "authors_may_edit_notes": "on",
        "variables-TOTAL_FORMS": str(len(rows)),
        "variables-INITIAL_FORMS": "0",
        **fields,
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"variables-{index}-{name}"] = value
    return data


def test_an_admin_adds_edits_and_removes_account_variables(client_for, ada, organisation):
    client = client_for(ada)
    rows = [{"key": "opening_hours", "value": "Mo-Fr 8-18"}, {"key": "hotline", "value": "0800 1"}]

    added = client.post(ORGANISATION_URL, organisation_post(rows))

    assert added.status_code == 302
    assert Organisation.load().variables == {"hotline": "0800 1", "opening_hours": "Mo-Fr 8-18"}
    page = client.get(ORGANISATION_URL).content.decode()
    assert 'value="opening_hours"' in page and 'name="variables-2-key"' in page  # + an empty row
    rows = [
        {"key": "hotline", "value": "0800 2", "DELETE": ""},
        {"key": "opening_hours", "value": "Mo-Fr 8-18", "DELETE": "on"},
        {"key": "", "value": ""},
    ]
    changed = client.post(
        ORGANISATION_URL, organisation_post(rows, **{"variables-INITIAL_FORMS": "2"}), headers=HX
    )

    assert changed.status_code == 200
    assert Organisation.load().variables == {"hotline": "0800 2"}
    events = AccountEvent.objects.filter(kind=AccountEvent.Kind.ORGANISATION_UPDATED)
    assert [e.data["variables"] for e in events.order_by("id")] == [
        [{}, {"hotline": "0800 1", "opening_hours": "Mo-Fr 8-18"}],
        [{"hotline": "0800 1", "opening_hours": "Mo-Fr 8-18"}, {"hotline": "0800 2"}],
    ]
    assert all(e.actor == ada for e in events)
    check_template("{{ account.hotline }}")


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        (
            [{"key": "Opening-Hours", "value": "8"}],
            "Use lower-case letters, digits and underscores",
        ),
        ([{"key": "company_name", "value": "X"}], "“company_name” is built in"),
        ([{"key": "hotline", "value": ""}], "Enter a value, or remove the variable."),
        ([{"key": "", "value": "0800"}], "Name the variable."),
        (
            [{"key": "hotline", "value": "1"}, {"key": "hotline", "value": "2"}],
            "hotline is there twice",
        ),
    ],
)
def test_invalid_account_variables_are_shown_and_nothing_is_saved(
    client_for, ada, organisation, rows, error
):
    response = client_for(ada).post(ORGANISATION_URL, organisation_post(rows), headers=HX)

    assert response.status_code == 422
    assert error in response.content.decode()
    assert Organisation.load().variables == {}
    assert not AccountEvent.objects.exists()


def test_only_admins_change_account_variables(client_for, alice, max_manager, organisation):
    for user in (alice, max_manager):
        client = client_for(user)
        assert client.get(ORGANISATION_URL).status_code == 403
        post = organisation_post([{"key": "hotline", "value": "0800"}])
        assert client.post(ORGANISATION_URL, post).status_code == 403
    assert Organisation.load().variables == {}


# --- Settings: attribute default values ---------------------------------------------------


def edit_url(key):
    pk = AttributeDefinition.objects.get(key=key).pk
    return reverse("contact_settings:attribute_edit", args=[pk])


def test_an_admin_sets_a_built_in_attributes_default_value(client_for, ada, organisation, nameless):
    client = client_for(ada)
    page = client.get(edit_url("first_name")).content.decode()
    assert 'name="default_value"' in page and "own default comes first." in page

    response = client.post(
        edit_url("first_name"),
        {"visible": "on", "agent_editable": "on", "default_value": " Kundin "},
    )

    assert response.status_code == 302
    assert AttributeDefinition.objects.get(key="first_name").default_value == "Kundin"
    assert render_for("Hallo {{ contact.first_name }}", organisation, nameless) == "Hallo Kundin"


def test_an_admin_gives_a_custom_attribute_a_default_value(client_for, ada, organisation):
    client = client_for(ada)
    fields = {"label": "Kundennummer", "key": "customer_number", "type": "text", "visible": "on"}

    client.post(reverse("contact_settings:attribute_add"), {**fields, "default_value": "-"})
    client.post(edit_url("customer_number"), {**fields, "default_value": "unbekannt"})

    assert AttributeDefinition.objects.get(key="customer_number").default_value == "unbekannt"


def test_tags_and_remarks_have_no_default_value(client_for, ada, organisation):
    page = client_for(ada).get(edit_url("tags")).content.decode()

    assert 'name="default_value"' not in page


def test_only_admins_set_default_values(client_for, alice, organisation):
    client = client_for(alice)

    assert client.get(edit_url("first_name")).status_code == 403
    response = client.post(edit_url("first_name"), {"visible": "on", "default_value": "X"})
    assert response.status_code == 403
    assert AttributeDefinition.objects.get(key="first_name").default_value == ""


def test_a_context_limited_to_the_keys_a_text_reads(db):
    from contacts.models import Contact
    from inbox.variables import contact_keys_used, message_context

    text = 'Hallo {{ contact.first_name | default: "du" }} von {{ account.company_name }}'
    keys = contact_keys_used(text, "")
    assert keys == {"first_name"}
    person = Contact.objects.create(first_name="Jana", company="Nord", attributes={"plan": "Gold"})
    assert message_context(None, person, only=keys)["contact"] == {"first_name": "Jana"}
    assert message_context(None, person)["contact"]["plan"] == "Gold"
