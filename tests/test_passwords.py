"""Password change and reset, with the reset e-mail pointing at PUBLIC_BASE_URL."""

import re

from django.conf import settings
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

NEW_PASSWORD = "a-new-and-long-passphrase"


def test_an_agent_changes_their_password(client_for, alice):
    client = client_for(alice)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_a_wrong_old_password_is_refused(client_for, alice):
    client = client_for(alice)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_forgotten_password_is_reset_through_the_emailed_link(client, alice):
    response = client.post(reverse("accounts:password_reset"), {"email": alice.email})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = re.search(rf"{re.escape(settings.PUBLIC_BASE_URL)}(/\S+)", body)
    assert link, body

    form_page = client.get(link.group(1), follow=True)
    assert b"Choose a new password" in form_page.content
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, db):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert mail.outbox == []
