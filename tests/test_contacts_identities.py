"""Normalising identifiers and matching an address to contacts: 0, 1 or n."""

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from contacts.identities import normalise
from contacts.matching import match_contacts
from tests.factories import ContactFactory, identity


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("phone", "0170 1234567", "+491701234567"),
        ("phone", "+49 (170) 123-4567", "+491701234567"),
        ("phone", "0049 170 1234567", "+491701234567"),
        ("whatsapp", "whatsapp:+46701234567", "+46701234567"),
        ("email", "  Jana.Mueller@Example.DE ", "jana.mueller@example.de"),
        ("external_id", " CRM-17 ", "CRM-17"),
    ],
)
def test_addresses_are_normalised(kind, value, expected):
    assert normalise(kind, value) == expected


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("phone", "12", "is not a valid phone number"),
        ("phone", "call me maybe", "is not a phone number"),
        ("phone", "+49 170", "is not a valid phone number"),
        ("email", "jana@", "is not a valid e-mail address"),
        ("email", "", "Enter an address."),
        ("email", "x" * 400 + "@example.com", "too long"),
    ],
)
def test_a_malformed_address_is_refused_with_a_clear_message(kind, value, message):
    with pytest.raises(ValidationError) as refused:
        normalise(kind, value)

    assert message in " ".join(refused.value.messages)


@pytest.mark.django_db
def test_no_match_one_match_and_several_matches():
    jana = ContactFactory()
    identity(jana, "phone", "+49 170 1234567")
    identity(jana, "email", "jana@example.de")
    shared_owner = ContactFactory()
    identity(shared_owner, "whatsapp", "+46 70 123 45 67")
    other = ContactFactory()
    identity(other, "phone", "+46701234567")

    assert match_contacts("email", "nobody@example.de").state == "none"
    one = match_contacts("sms", "0170 1234567")
    assert one.state == "one" and one.contact == jana
    assert match_contacts("email", "JANA@example.DE").contact == jana
    several = match_contacts("whatsapp", "whatsapp:+46701234567")
    assert several.state == "several"
    assert set(several.contacts) == {shared_owner, other}


@pytest.mark.django_db
def test_matching_is_one_indexed_query(django_assert_num_queries):
    identity(ContactFactory(), "email", "jana@example.de")

    with django_assert_num_queries(1):
        match_contacts("email", "jana@example.de")


@pytest.mark.django_db
def test_a_merged_away_contact_is_not_matched():
    survivor, absorbed = ContactFactory(), ContactFactory()
    identity(absorbed, "email", "old@example.de")
    absorbed.merged_into = survivor
    absorbed.save()

    assert match_contacts("email", "old@example.de").state == "none"


GERMAN_MOBILES = st.integers(min_value=10_000_000, max_value=99_999_999).map(lambda n: f"170{n}")


def spellings(national: str) -> st.SearchStrategy[str]:
    """Ways people write the same German number: national, international, 0049, spaced,
    dashed, bracketed."""
    area, rest = national[:3], national[3:]
    return st.sampled_from(
        [
            f"0{national}",
            f"+49{national}",
            f"0049{national}",
            f"+49 {area} {rest}",
            f"0{area} {rest[:4]} {rest[4:]}",
            f"+49 ({area}) {rest[:3]}-{rest[3:]}",
            f"0{area}/{rest}",
            f"whatsapp:+49{national}",
        ]
    )


@pytest.mark.django_db
@settings(max_examples=40, deadline=None)
@given(data=st.data(), national=GERMAN_MOBILES)
def test_every_spelling_of_one_number_matches_the_one_contact(data, national):
    number = phonenumbers.parse(f"+49{national}")
    if not phonenumbers.is_valid_number(number):
        return
    stored, asked = data.draw(spellings(national)), data.draw(spellings(national))
    contact = ContactFactory()
    identity(contact, "phone", stored)

    try:
        result = match_contacts(data.draw(st.sampled_from(["sms", "whatsapp", "phone"])), asked)
        assert result.state == "one"
        assert result.contact == contact
    finally:
        contact.delete()
