"""Signed-in visitors: the host's HS256 token, verified by PyJWT with the inbox's secret."""

import pytest

from contacts.identities import IdentityKind
from contacts.models import Contact
from inbox.models import Conversation, ConversationEvent
from tests.factories import ContactFactory, identity, inbox_with
from tests.webchat_helpers import Visitor, host_token, make_widget
from webchat.identity import IdentityRefused, verify_token
from webchat.models import WebVisitor

SECRET = "sbw_test-secret-0123456789abcdefghijklmnop"


@pytest.fixture
def widget(alice):
    return make_widget(inbox_with("Kundenservice", members=[alice]))


def test_a_valid_token_gives_its_claims():
    claims = verify_token(host_token(email="ida@example.org", name="Ida Berg"), SECRET)

    assert (claims.sub, claims.email, claims.name) == ("user-42", "ida@example.org", "Ida Berg")


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (host_token(ahead=-120), "expired"),
        (host_token("another-secret-entirely-0123456789"), "not signed with this chat's secret"),
        (host_token(ahead=2 * 3600), "within an hour"),
        ("not.a.token", "not valid"),
        ("", "missing"),
    ],
)
def test_bad_tokens_are_refused_with_a_reason(token, reason):
    with pytest.raises(IdentityRefused) as refused:
        verify_token(token, SECRET)

    assert reason in refused.value.message


def test_a_token_without_exp_or_another_algorithm_is_refused():
    import jwt

    without_exp = jwt.encode({"sub": "u1"}, SECRET, algorithm="HS256")
    none_alg = jwt.encode({"sub": "u1", "exp": 9999999999}, None, algorithm="none")

    for token in (without_exp, none_alg):
        with pytest.raises(IdentityRefused):
            verify_token(token, SECRET)


def test_a_verified_visitor_becomes_the_contact_of_their_external_id(widget):
    visitor = Visitor(widget)

    answer = visitor.identify(host_token(sub="u-7", email="ida@example.org", name="Ida Berg"))
    visitor.send("Hallo als Ida")

    assert answer.status_code == 200 and "signed in" in answer.text
    contact = Conversation.objects.get().contact
    kinds = dict(contact.identities.values_list("kind", "normalised"))
    assert kinds[IdentityKind.EXTERNAL_ID] == f"{widget.public_id}:u-7"
    assert kinds[IdentityKind.EMAIL] == "ida@example.org"
    assert (contact.first_name, contact.last_name) == ("Ida", "Berg")


def test_a_verified_visitor_sees_the_contacts_web_history_from_another_browser(widget):
    first = Visitor(widget, token="laptop-token-aaaaaaaaaaaaaaaaa")
    first.identify(host_token(sub="u-7"))
    first.send("Frage vom Laptop")

    phone = Visitor(widget, token="phone-token-bbbbbbbbbbbbbbbbbb")
    assert "Frage vom Laptop" not in phone.poll().text
    phone.identify(host_token(sub="u-7"))

    assert "Frage vom Laptop" in phone.poll().text


def test_an_existing_contact_with_the_external_id_is_linked(widget):
    contact = ContactFactory(first_name="Ole")
    identity(contact, IdentityKind.EXTERNAL_ID, f"{widget.public_id}:crm-1")
    visitor = Visitor(widget)

    visitor.identify(host_token(sub="crm-1"))
    visitor.send("Hallo")

    assert Conversation.objects.get().contact == contact
    assert WebVisitor.objects.get().contact == contact


def test_an_email_differing_from_the_contacts_is_flagged_to_the_agent(widget):
    contact = ContactFactory()
    identity(contact, IdentityKind.EXTERNAL_ID, f"{widget.public_id}:crm-1")
    identity(contact, IdentityKind.EMAIL, "ole@example.org")
    visitor = Visitor(widget)

    visitor.identify(host_token(sub="crm-1", email="someone-else@example.org"))
    visitor.send("Hallo")

    conversation = Conversation.objects.get()
    assert conversation.events.filter(kind=ConversationEvent.Kind.WEB_EMAIL_MISMATCH).exists()
    # Flagged once, not on every message.
    visitor.send("Noch da?")
    assert conversation.events.filter(kind=ConversationEvent.Kind.WEB_EMAIL_MISMATCH).count() == 1


def test_a_matching_email_is_not_flagged(widget):
    contact = ContactFactory()
    identity(contact, IdentityKind.EXTERNAL_ID, f"{widget.public_id}:crm-1")
    identity(contact, IdentityKind.EMAIL, "ole@example.org")
    visitor = Visitor(widget)

    visitor.identify(host_token(sub="crm-1", email="Ole@Example.org"))
    visitor.send("Hallo")

    assert not ConversationEvent.objects.filter(
        kind=ConversationEvent.Kind.WEB_EMAIL_MISMATCH
    ).exists()


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (host_token(ahead=-120), "expired"),
        (host_token("another-secret-entirely-0123456789"), "secret"),
        (host_token(ahead=7200), "within an hour"),
    ],
)
def test_a_refused_token_keeps_the_chat_working_unverified(widget, token, reason):
    visitor = Visitor(widget)

    answer = visitor.identify(token)
    visitor.send("Trotzdem eine Frage")

    assert answer.status_code == 422 and reason in answer.text
    row = WebVisitor.objects.get()
    assert not row.is_verified
    assert Conversation.objects.get().contact.kind == "ephemeral"


def test_an_unverified_visitor_sees_no_earlier_history_of_the_contact(widget):
    signed_in = Visitor(widget, token="signed-in-token-aaaaaaaaaaaaa")
    signed_in.identify(host_token(sub="u-9"))
    signed_in.send("Meine Adresse ist Hauptstraße 1")

    anonymous = Visitor(widget, token="anonymous-token-bbbbbbbbbbbbb")
    anonymous.send("Hallo")

    assert "Hauptstraße" not in anonymous.poll().text
    assert Contact.objects.count() == 2


def test_a_rotated_secret_refuses_tokens_of_the_old_one(widget, client_for, ada):
    client_for(ada).post(f"/settings/inboxes/{widget.inbox_id}/web-chat/secret/")
    widget.refresh_from_db()

    answer = Visitor(widget).identify(host_token())

    assert answer.status_code == 422
