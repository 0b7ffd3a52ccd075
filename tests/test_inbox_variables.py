"""Account and contact variables in replies: replaced on send, defaults, unknown names kept."""

from types import SimpleNamespace

import pytest

from inbox.variables import render_variables

ORGANISATION = SimpleNamespace(
    account_variables=lambda: {
        "company_name": "Nordlicht GmbH",
        "company_address": "Hafenstraße 12",
        "company_email": "service@nordlicht.example",
        "company_phone": "+49 40 1234567",
    }
)
JANA = SimpleNamespace(first_name="Jana", last_name="Müller", company="Bäckerei Nord")
NAMELESS = SimpleNamespace(first_name="", last_name="", company="")


@pytest.mark.parametrize(
    ("text", "contact", "expected"),
    [
        ("Hi {contact_first_name}!", JANA, "Hi Jana!"),
        ("Hi {contact_first_name|there}!", JANA, "Hi Jana!"),
        ("Hi {contact_first_name|there}!", NAMELESS, "Hi there!"),
        ("Hi {contact_first_name}!", NAMELESS, "Hi !"),
        ("Hi {contact_first_name|there}!", None, "Hi there!"),
        ("{contact_last_name}, {contact_company}", JANA, "Müller, Bäckerei Nord"),
        ("{company_name} · {company_phone}", JANA, "Nordlicht GmbH · +49 40 1234567"),
        ("{company_address} / {company_email}", JANA, "Hafenstraße 12 / service@nordlicht.example"),
        ("Your code is {order_id} {x|y}", JANA, "Your code is {order_id} {x|y}"),
        ("Braces { stay } and {}", JANA, "Braces { stay } and {}"),
        ("No variables at all", JANA, "No variables at all"),
    ],
)
def test_variables_are_replaced_with_defaults_and_unknown_names_kept(text, contact, expected):
    assert render_variables(text, ORGANISATION, contact) == expected


def test_the_organisation_is_read_from_the_database(organisation):
    assert render_variables("{company_name}", organisation, JANA) == "Nordlicht GmbH"
