"""The widget's page views (POST /w/<public id>/pv): origins, consent modes checked on the
server, what is kept of a URL and an address, sessions, limits and bad input."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from journey.models import JourneySession, PageView
from journey.privacy import browser_family, clean_url, truncate_ip
from tests.journey_helpers import HOST, page, send, visitor

pytest_plugins = ["tests.journey_world"]


def urls():
    return list(PageView.objects.order_by("at", "id").values_list("url", flat=True))


# --- Consent modes, each checked by the server ------------------------------------------------


def test_journey_mode_stores_page_views_only_with_the_hosts_consent(widget):
    _row, token = visitor(widget)

    refused = send(widget, token, [page("/a")])
    _withdrawn_row, withdrawn = visitor(widget, consent=False)
    withdrawn_answer = send(widget, withdrawn, [page("/b")], consent=True)
    accepted = send(widget, token, [page("/c")], consent=True)

    assert refused.status_code == 403 and "consented" in refused.json()["error"]
    assert withdrawn_answer.status_code == 403
    assert accepted.status_code == 204
    assert urls() == [HOST + "/c"]


def test_chat_only_mode_stores_nothing_before_the_chat_was_opened(widget):
    widget.consent_mode = "chat_only"
    widget.save()
    row, token = visitor(widget)
    before = (row.created_at - timedelta(minutes=5)).timestamp() * 1000

    not_opened = send(widget, token, [page("/a")], consent=True)
    opened = send(widget, token, [page("/old", at=before), page("/now")], chat=True)

    assert not_opened.status_code == 403 and "opens the chat" in not_opened.json()["error"]
    assert opened.status_code == 204
    # Only from the moment the visitor opened the chat.
    assert urls() == [HOST + "/now"]


def test_server_mode_takes_nothing_from_a_browser(widget):
    widget.consent_mode = "server"
    widget.save()
    _row, token = visitor(widget)

    answer = send(widget, token, [page("/a")], consent=True, chat=True)

    assert answer.status_code == 403 and "server" in answer.json()["error"]
    assert not PageView.objects.exists()


# --- Origins, visitors, widgets -------------------------------------------------------------


@pytest.mark.parametrize("origin", ["https://evil.example", ""])
def test_page_views_from_another_website_or_without_an_origin_are_refused(widget, origin):
    _row, token = visitor(widget)

    answer = send(widget, token, [page("/a")], origin=origin, consent=True)

    assert answer.status_code == 403
    assert not PageView.objects.exists()


def test_a_page_of_another_site_in_the_batch_is_skipped(widget):
    _row, token = visitor(widget)
    foreign = {"url": "https://other.example/x", "title": "x", "at": time.time() * 1000}

    send(widget, token, [page("/mine"), foreign], consent=True)

    assert urls() == [HOST + "/mine"]


def test_unknown_visitor_disabled_widget_and_another_widgets_visitor_are_404(widget, inboxes):
    from webchat.models import WebWidget

    _a, b = inboxes
    other = WebWidget.objects.create(inbox=b, enabled=True, allowed_origins=HOST)
    _row, token = visitor(other)

    assert send(widget, "no-such-token", [page("/a")], consent=True).status_code == 404
    assert send(widget, token, [page("/a")], consent=True).status_code == 404
    widget.enabled = False
    widget.save()
    _row, own = visitor(widget)
    assert send(widget, own, [page("/a")], consent=True).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"views": []}',
        b'{"visitor": 5}',
        '{"visitor": "\xff'.encode("latin-1"),
    ],
)
def test_bad_input_gets_a_clear_400(client, widget, body):
    from django.urls import reverse

    answer = client.post(
        reverse("journey_widget:page_views", args=[widget.public_id]),
        data=body,
        content_type="text/plain",
        headers={"Origin": HOST},
    )

    assert answer.status_code == 400
    assert "visitor" in answer.json()["error"]


def test_malformed_views_are_skipped_not_a_500(widget):
    _row, token = visitor(widget)
    junk = ["x", {"url": 5}, {"url": "javascript:alert(1)"}, {"url": HOST + "/ok", "at": "soon"}]

    answer = send(widget, token, junk, consent=True)

    assert answer.status_code == 204
    assert urls() == [HOST + "/ok"]


def test_a_visitor_over_the_rate_limit_is_told_to_wait(widget, settings):
    settings.JOURNEY_VISITOR_RATE = "2/minute"
    _row, token = visitor(widget)

    answers = [send(widget, token, [page(f"/{n}")], consent=True).status_code for n in range(3)]

    assert answers == [204, 204, 429]


def test_a_get_is_not_allowed(client, widget):
    from django.urls import reverse

    assert (
        client.get(reverse("journey_widget:page_views", args=[widget.public_id])).status_code == 405
    )


# --- What is kept ---------------------------------------------------------------------------


def test_query_strings_are_stripped_on_the_server_except_utm(widget):
    _row, token = visitor(widget)
    views = [
        page("/shop?session=abc&utm_source=newsletter&email=jana%40example.de&utm_campaign=winter"),
        page("/app#/orders/42?token=secret&utm_medium=mail"),
        page("/faq#shipping"),
    ]

    send(widget, token, views, consent=True)

    assert urls() == [
        HOST + "/shop?utm_source=newsletter&utm_campaign=winter",
        HOST + "/app#/orders/42?utm_medium=mail",
        HOST + "/faq",
    ]
    session = JourneySession.objects.get()
    assert (session.utm_source, session.utm_campaign) == ("newsletter", "winter")


def test_the_referrer_of_another_site_keeps_its_host_but_no_query(widget):
    _row, token = visitor(widget)

    send(
        widget,
        token,
        [page("/", referrer="https://www.google.com/search?q=jana+berg+order+4711")],
        consent=True,
    )

    view = PageView.objects.get()
    assert view.referrer == "https://www.google.com/search"
    assert JourneySession.objects.get().referrer_host == "www.google.com"


@pytest.mark.parametrize(
    "address, network",
    [
        ("203.0.113.77", "203.0.113.0"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
        ("::ffff:198.51.100.9", "198.51.100.0"),
    ],
)
def test_the_address_is_truncated_at_ingest(widget, address, network):
    _row, token = visitor(widget)

    send(widget, token, [page("/")], consent=True, remote=address)

    session = JourneySession.objects.get()
    assert session.ip_network == network
    assert address not in str(JourneySession.objects.values().get())
    assert session.browser == "Firefox"


def test_privacy_helpers():
    assert truncate_ip("not an address") is None
    assert clean_url("https://user:pw@Shop.Example/a?x=1") == "https://shop.example/a"
    assert clean_url("ftp://shop.example/") == ""
    assert browser_family("Mozilla/5.0 (iPhone) AppleWebKit Version/17 Mobile Safari/604.1") == (
        "Safari mobile"
    )
    assert browser_family("Mozilla/5.0 Chrome/131.0 Safari/537.36 Edg/131.0") == "Edge"


# --- Sessions -------------------------------------------------------------------------------


def test_a_new_session_starts_after_30_minutes_idle(widget, jana):
    _row, token = visitor(widget, contact=jana)
    start = time.time() * 1000 - 55 * 60 * 1000

    send(widget, token, [page("/1", at=start), page("/2", at=start + 60_000)], consent=True)
    send(widget, token, [page("/3", at=start + 20 * 60_000)], consent=True)
    send(widget, token, [page("/4", at=start + 52 * 60_000)], consent=True)

    sessions = list(JourneySession.objects.order_by("started_at"))
    assert len(sessions) == 2
    assert [v.url for v in sessions[0].page_views.order_by("at")] == [
        HOST + "/1",
        HOST + "/2",
        HOST + "/3",
    ]
    assert sessions[0].last_seen_at == sessions[0].page_views.order_by("at").last().at
    assert [v.url for v in sessions[1].page_views.all()] == [HOST + "/4"]
    assert {s.contact_id for s in sessions} == {jana.pk}


def test_earlier_sessions_get_the_contact_once_the_visitor_writes(widget, jana):
    row, token = visitor(widget)
    send(widget, token, [page("/before")], consent=True)
    assert JourneySession.objects.get().contact_id is None

    row.contact = jana
    row.save()
    send(widget, token, [page("/after")], consent=True)

    assert JourneySession.objects.get().contact_id == jana.pk


def test_leaving_is_recorded(widget):
    _row, token = visitor(widget)
    send(widget, token, [page("/")], consent=True)

    send(widget, token, [], consent=True, leave=True)

    session = JourneySession.objects.get()
    assert session.left_at is not None and not session.is_present()


def test_a_page_view_costs_at_most_three_queries(widget, jana, django_assert_max_num_queries):
    _row, token = visitor(widget, contact=jana)
    with django_assert_max_num_queries(3):
        assert send(widget, token, [page("/first")], consent=True).status_code == 204
    with django_assert_max_num_queries(3):
        assert send(widget, token, [page("/second")], consent=True).status_code == 204
    with django_assert_max_num_queries(3):
        batch = [page(f"/batch/{n}") for n in range(10)]
        assert send(widget, token, batch, consent=True).status_code == 204

    assert PageView.objects.count() == 12
    assert timezone.now() - JourneySession.objects.get().last_seen_at < timedelta(minutes=1)


def test_a_visitors_clock_that_is_off_does_not_move_their_journey(widget):
    _row, token = visitor(widget)
    behind = (time.time() - 20 * 60) * 1000  # the visitor's clock is 20 minutes slow

    send(widget, token, [page("/a", at=behind - 5000)], consent=True, sent=behind)

    at = PageView.objects.get().at
    assert abs((timezone.now() - timedelta(seconds=5) - at).total_seconds()) < 3


def test_the_recorders_key_carries_the_visit_when_each_page_is_a_new_widget_visitor(widget, jana):
    """Where the browser denies the chat frame its storage, every page makes a new visitor;
    the recorder's key in the host site's storage keeps the pages in one session, which
    follows the latest visitor (the one who writes)."""
    _first, first = visitor(widget)
    second_row, second = visitor(widget)

    send(widget, first, [page("/1")], consent=True, journey="host-key")
    send(widget, second, [page("/2")], consent=True, journey="host-key")
    second_row.contact = jana
    second_row.save()

    session = JourneySession.objects.get()
    assert [v.url for v in session.page_views.order_by("at")] == [HOST + "/1", HOST + "/2"]
    assert session.visitor_key == second_row.token_hash
    assert list(JourneySession.objects.of_contact(jana)) == [session]


def test_chat_only_goes_on_on_the_next_page_only_for_a_visit_recorded_since_opening(widget):
    widget.consent_mode = "chat_only"
    widget.save()
    _row, opened = visitor(widget)

    first = send(widget, opened, [page("/chat")], chat=True, journey="host-key")
    # The next page: a new token the widget does not know yet, the same recorder key.
    next_page = send(widget, "unknown-token", [page("/next")], chat=True, journey="host-key")
    stranger = send(widget, "unknown-token", [page("/x")], chat=True, journey="other-key")

    assert (first.status_code, next_page.status_code, stranger.status_code) == (204, 204, 404)
    assert urls() == [HOST + "/chat", HOST + "/next"]
    # The session keeps the visitor the widget knows.
    assert JourneySession.objects.get().visitor_key == _row.token_hash
