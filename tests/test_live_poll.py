"""The idle live poll: answered from the stamps without the database, and never missing a
change (a reply, a new conversation, a membership change, a cache that is down)."""

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from inbox.actions import assignment, reply
from inbox.actions.settings import add_member
from tests.factories import inbound, inbox_with


@pytest.fixture
def inbox_a(alice, max_manager):
    return inbox_with("Support A", "open", members=[alice], managers=[max_manager])


def poller_query(html: str) -> dict[str, str]:
    """The query string the page's poller sends next (its hx-post URL)."""
    found = re.search(r'id="live-poller"[^>]*hx-post="([^"]+)"', html)
    assert found, "no poller on the page"
    url = unescape(found.group(1))
    return dict(parse_qsl(urlsplit(url).query))


def test_an_idle_poll_costs_one_query_and_swaps_nothing(
    client_for, alice, inbox_a, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        inbound(inbox_a)
    client = client_for(alice)
    query = poller_query(client.get(reverse("inbox:index")).content.decode())

    with django_assert_max_num_queries(1):  # the user; the session comes from the cache
        idle = client.get(reverse("inbox:live"), query, headers={"HX-Request": "true"})

    assert idle.status_code == 204 and idle.content == b""


def test_a_change_in_the_users_inbox_makes_the_next_poll_answer_it(
    client_for, alice, max_manager, inbox_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conversation = inbound(inbox_a).conversation
    client = client_for(alice)
    query = poller_query(client.get(reverse("inbox:index")).content.decode())
    query["shown"] = str(conversation.pk)

    with django_capture_on_commit_callbacks(execute=True):
        reply(conversation, body="Wir kümmern uns", actor=max_manager)
    changed = client.get(reverse("inbox:live"), query, headers={"HX-Request": "true"})

    assert changed.status_code == 200
    html = changed.content.decode()
    assert f'hx-target="#conversation-row-{conversation.pk}"' in html
    assert "Wir kümmern uns" in html
    # The new poller carries the new stamps: polling again finds nothing new.
    again = client.get(reverse("inbox:live"), poller_query(html), headers={"HX-Request": "true"})
    assert again.status_code == 204


def test_a_change_in_another_inbox_leaves_the_poll_idle(
    client_for, alice, bob, inbox_a, django_capture_on_commit_callbacks
):
    inbox_b = inbox_with("Sales B", members=[bob])
    client = client_for(alice)
    query = poller_query(client.get(reverse("inbox:index")).content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        inbound(inbox_b, "+49 170 7777777")

    assert client.get(reverse("inbox:live"), query).status_code == 204


def test_joining_an_inbox_makes_the_poll_look_again(
    client_for, alice, max_manager, inbox_a, django_capture_on_commit_callbacks
):
    inbox_c = inbox_with("Claims C", managers=[max_manager])
    with django_capture_on_commit_callbacks(execute=True):
        conversation = inbound(inbox_c, "+49 170 8888888").conversation
    client = client_for(alice)
    query = poller_query(client.get(reverse("inbox:index")).content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        add_member(inbox_c, user=alice, role="member", actor=max_manager)
        assignment.unassign(conversation, actor=max_manager)  # nothing to do: no stamp moves
    polled = client.get(reverse("inbox:live"), query)

    assert polled.status_code == 200
    assert 'id="live-poller"' in polled.content.decode()


def test_a_forged_or_foreign_scope_gets_the_full_check(
    client_for, alice, bob, inbox_a, django_capture_on_commit_callbacks
):
    inbox_with("Sales B", members=[bob])
    query = poller_query(client_for(alice).get(reverse("inbox:index")).content.decode())

    # Bob replays Alice's poller: its scope is signed for Alice, so Bob gets the full check
    # of his own inboxes, never an answer about hers.
    assert client_for(bob).get(reverse("inbox:live"), query).status_code == 200
    forged = {**query, "scope": query["scope"][:-2] + "xx"}
    assert client_for(alice).get(reverse("inbox:live"), forged).status_code == 200


def test_with_the_cache_down_every_poll_is_the_full_check(client_for, alice, inbox_a, monkeypatch):
    from django.core.cache import caches

    client = client_for(alice)
    query = poller_query(client.get(reverse("inbox:index")).content.decode())

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(type(caches["default"]), "get_many", down)
    polled = client.get(reverse("inbox:live"), query)

    assert polled.status_code == 200
    assert 'id="live-poller"' in polled.content.decode()


def test_the_full_check_runs_at_least_once_a_minute(client_for, alice, inbox_a):
    from datetime import timedelta

    from django.utils import timezone

    client = client_for(alice)
    query = poller_query(client.get(reverse("inbox:index")).content.decode())
    query["since"] = (timezone.now() - timedelta(seconds=61)).isoformat()

    assert client.get(reverse("inbox:live"), query).status_code == 200


def test_a_long_list_polls_in_the_body_not_the_url(client_for, alice, inbox_a):
    """Hundreds of rows on screen (after "Show more", or hours of live inserts) would make a
    URL longer than gunicorn accepts (4 KB); the poller posts what the page shows instead."""
    conversation = inbound(inbox_a).conversation
    client = client_for(alice)
    query = poller_query(client.get(reverse("inbox:index")).content.decode())
    shown = [str(conversation.pk), *(str(10_000_000 + n) for n in range(600))]
    url = reverse("inbox:live") + "?" + "&".join(f"{k}={v}" for k, v in query.items())

    polled = client.post(url, {"shown": shown, "view": "all"}, headers={"HX-Request": "true"})

    assert polled.status_code in (200, 204)
    assert len(url) < 1000
