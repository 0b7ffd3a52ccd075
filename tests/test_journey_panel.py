"""The contact panel's Journey tab, its live trail and a visit's page: what each user sees,
time on page, "now on …", the conversations a visit started, and fixed query counts."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox.models import Conversation
from journey.models import JourneySession, PageView
from tests.factories import inbound
from tests.journey_helpers import HOST, page, send, visitor
from webchat.models import WebWidget

pytest_plugins = ["tests.journey_world"]


def browse(widget, token, paths, *, start_minutes_ago=10, step_seconds=60):
    start = time.time() * 1000 - start_minutes_ago * 60_000
    views = [
        page(path, title=f"Seite {path}", at=start + n * step_seconds * 1000)
        for n, path in enumerate(paths)
    ]
    assert send(widget, token, views, consent=True).status_code == 204


def tab(client, contact, **extra):
    return client.get(reverse("contacts:detail", args=[contact.pk]), {"tab": "journey", **extra})


def test_the_tab_shows_the_trail_with_time_on_page_and_the_entry_source(
    client_for, alice, widget, jana
):
    _row, token = visitor(widget, contact=jana)
    start = time.time() * 1000 - 10 * 60_000
    send(
        widget,
        token,
        [
            page("/?utm_source=newsletter&utm_campaign=winter", title="Start", at=start),
            page("/schuhe", title="Schuhe", at=start + 75_000),
            page("/kasse", title="Kasse <b>", at=start + 135_000),
        ],
        consent=True,
    )

    html = tab(client_for(alice), jana).content.decode()

    assert "Start" in html and "Schuhe" in html
    assert "Kasse &lt;b&gt;" in html  # customer content is escaped
    assert "From newsletter" in html and "campaign winter" in html
    assert "1 min 15 s on the page" in html and "1 min 0 s on the page" in html
    # Ten minutes ago: no longer on the site.
    assert "Now on" not in html


def test_now_on_shows_while_the_visitor_is_on_the_site_and_goes_when_they_leave(
    client_for, alice, widget, jana
):
    _row, token = visitor(widget, contact=jana)
    browse(widget, token, ["/a", "/b"], start_minutes_ago=1, step_seconds=20)
    client = client_for(alice)

    assert "Now on" in tab(client, jana).content.decode()
    assert "on the page now" in tab(client, jana).content.decode()
    send(widget, token, [], consent=True, leave=True)
    assert "Now on" not in tab(client, jana).content.decode()


def test_the_conversation_a_visit_started_and_its_page_are_marked(client_for, alice, widget, jana):
    _row, token = visitor(widget, contact=jana)
    browse(widget, token, ["/a", "/hilfe", "/c"], start_minutes_ago=10, step_seconds=120)
    message = inbound(widget.inbox, address="wv:jana", body="Hallo", channel="web")
    conversation = message.conversation
    views = list(PageView.objects.order_by("at"))
    Conversation.objects.filter(pk=conversation.pk).update(
        contact=jana, created_at=views[1].at + timedelta(seconds=30)
    )

    html = tab(client_for(alice), jana).content.decode()

    assert f"#{conversation.number}" in html
    assert reverse("inbox:conversation", args=[conversation.pk]) in html
    assert html.count("Chat started here") == 1
    assert html.index("Chat started here") > html.index("Seite /hilfe")
    assert html.index("Chat started here") < html.index("Seite /c")


def test_the_tab_is_empty_for_a_contact_without_visits(client_for, alice, inboxes, jana):
    html = tab(client_for(alice), jana).content.decode()

    assert "No visits recorded" in html


def test_bob_of_inbox_b_sees_none_of_inbox_a_visits_and_gets_404_for_one(
    client_for, bob, widget, jana
):
    _row, token = visitor(widget, contact=jana)
    browse(widget, token, ["/geheim"])
    session = JourneySession.objects.get()
    client = client_for(bob)

    assert "/geheim" not in tab(client, jana).content.decode()
    trail = client.get(
        reverse("journey:trail", args=[jana.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "/geheim" not in trail and "No visits recorded" in trail
    assert client.get(reverse("journey:session", args=[session.pk])).status_code == 404
    assert client.get(reverse("journey:session", args=[session.pk + 1000])).status_code == 404


def test_alice_opens_a_visit_in_full(client_for, alice, widget, jana):
    _row, token = visitor(widget, contact=jana)
    browse(widget, token, ["/a", "/b"])
    session = JourneySession.objects.get()

    response = client_for(alice).get(reverse("journey:session", args=[session.pk]))

    assert response.status_code == 200
    assert "Seite /a" in response.content.decode() and "1 min 0 s" in response.content.decode()


def test_the_live_trail_is_a_fragment_and_without_htmx_leads_to_the_tab(
    client_for, alice, widget, jana
):
    client = client_for(alice)
    url = reverse("journey:trail", args=[jana.pk])

    fragment = client.get(url, headers={"HX-Request": "true"})
    page_load = client.get(url)

    assert fragment.content.decode().lstrip().startswith('<section id="journey-trail"')
    assert 'hx-trigger="every 15s"' in fragment.content.decode()
    assert page_load.status_code == 302 and page_load["Location"].endswith("?tab=journey")


def test_an_unknown_contact_is_404(client_for, alice, inboxes):
    assert client_for(alice).get(reverse("journey:trail", args=[999999])).status_code == 404


def test_a_user_must_log_in(client, widget, jana):
    response = client.get(reverse("journey:trail", args=[jana.pk]))

    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_tab_runs_a_fixed_number_of_queries(
    client_for, alice, widget, jana, language, django_assert_max_num_queries
):
    alice.language = language
    alice.save()
    client = client_for(alice)
    _row, token = visitor(widget, contact=jana)
    browse(widget, token, ["/eins"])
    with django_assert_max_num_queries(30) as few:
        assert tab(client, jana).status_code == 200
    # Counted now: every request (the page views sent below) empties Django's query log.
    queries = len(few.captured_queries)
    for n in range(4):
        _other, other_token = visitor(widget, contact=jana)
        browse(
            widget, other_token, [f"/{n}/{i}" for i in range(40)], start_minutes_ago=200 + n * 60
        )
    inbound(widget.inbox, address="wv:jana2", body="Hallo", channel="web")

    with django_assert_max_num_queries(queries):
        response = tab(client, jana)

    assert response.status_code == 200
    with django_assert_max_num_queries(queries):
        client.get(reverse("journey:trail", args=[jana.pk]), headers={"HX-Request": "true"})


def test_the_tab_is_in_german_for_a_german_agent(client_for, alice, widget, jana):
    alice.language = "de"
    alice.save()
    _row, token = visitor(widget, contact=jana)
    browse(widget, token, ["/eins"])

    html = tab(client_for(alice), jana).content.decode()

    assert "Übersicht" in html and f'href="/contacts/{jana.pk}/?tab=journey"' in html
    assert "Seite /eins" in html


def test_sessions_of_another_widget_inbox_stay_apart(client_for, alice, bob, inboxes, widget, jana):
    _a, b = inboxes
    other = WebWidget.objects.create(
        inbox=b, enabled=True, allowed_origins=HOST, consent_mode="journey"
    )
    _row, token = visitor(other, contact=jana)
    browse(other, token, ["/nur-b"])

    assert "/nur-b" not in tab(client_for(alice), jana).content.decode()
    assert "/nur-b" in tab(client_for(bob), jana).content.decode()
    assert timezone.now()


def test_a_visits_page_runs_a_fixed_number_of_queries(
    client_for, alice, widget, jana, django_assert_max_num_queries
):
    _row, token = visitor(widget, contact=jana)
    browse(widget, token, ["/eins"])
    session = JourneySession.objects.get()
    client = client_for(alice)
    with django_assert_max_num_queries(30) as few:
        assert client.get(reverse("journey:session", args=[session.pk])).status_code == 200
    queries = len(few.captured_queries)
    browse(widget, token, [f"/seite/{n}" for n in range(15)], start_minutes_ago=9, step_seconds=5)

    with django_assert_max_num_queries(queries):
        response = client.get(reverse("journey:session", args=[session.pk]))

    assert "Seite /seite/14" in response.content.decode()
