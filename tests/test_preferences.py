"""A user's own preferences and the language switch."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation


def test_the_language_switch_remembers_the_choice_on_the_user_and_in_a_cookie(client_for, alice):
    client = client_for(alice)

    response = client.post(
        reverse("accounts:set_language"), {"language": "de", "next": "/contacts/"}
    )

    assert response["Location"] == "/contacts/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    alice.refresh_from_db()
    assert alice.language == "de"
    page = client.get("/contacts/")
    assert page["Content-Language"] == "de"
    assert "Posteingang" in page.content.decode()


def test_the_users_language_wins_over_the_browsers(client_for, alice):
    alice.language = "sv"
    alice.save()

    page = client_for(alice).get(reverse("inbox:index"), headers={"Accept-Language": "de"})

    assert page["Content-Language"] == "sv"
    assert "Inkorg" in page.content.decode()


def test_the_login_page_follows_the_browser_and_the_cookie(client, db):
    german = client.get(reverse("accounts:login"), headers={"Accept-Language": "de"})
    client.post(
        reverse("accounts:set_language"), {"language": "sv", "next": reverse("accounts:login")}
    )
    swedish = client.get(reverse("accounts:login"), headers={"Accept-Language": "de"})

    with translation.override("de"):
        assert translation.gettext("Log in").encode() in german.content
    with translation.override("sv"):
        assert translation.gettext("Log in").encode() in swedish.content


def test_the_switch_never_redirects_to_another_site(client_for, alice):
    response = client_for(alice).post(
        reverse("accounts:set_language"), {"language": "de", "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("home")


def test_an_unknown_language_changes_nothing(client_for, alice):
    client_for(alice).post(reverse("accounts:set_language"), {"language": "xx", "next": "/"})

    alice.refresh_from_db()
    assert alice.language == "en"


def test_an_agent_edits_their_name_language_and_time_zone(client_for, alice):
    response = client_for(alice).post(
        reverse("accounts:preferences"),
        {"display_name": "Alice Berg", "language": "sv", "time_zone": "Europe/Stockholm"},
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.display_name, alice.language, alice.time_zone) == (
        "Alice Berg",
        "sv",
        "Europe/Stockholm",
    )


def test_an_unknown_time_zone_is_refused(client_for, alice):
    response = client_for(alice).post(
        reverse("accounts:preferences"),
        {"display_name": "Alice", "language": "en", "time_zone": "Mars/Olympus"},
    )

    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.time_zone == "Europe/Berlin"


def test_languages_to_choose_from_are_named_in_their_own_language(client_for, alice):
    alice.language = "sv"
    alice.save()
    page = client_for(alice).get(reverse("accounts:preferences")).content.decode()
    for name in ("English", "Deutsch", "Svenska"):
        assert f">{name}</option>" in page
    assert "Engelska" not in page and "Tyska" not in page


def test_english_dates_are_day_first_with_24_hour_times():
    import datetime

    from django.utils import formats, translation

    moment = datetime.datetime(2026, 12, 1, 17, 32)
    with translation.override("en"):
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "01/12/2026 17:32"
        assert formats.date_format(moment, "DATETIME_FORMAT") == "1 Dec 2026, 17:32"
    with translation.override("de"):
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "01.12.2026 17:32"
