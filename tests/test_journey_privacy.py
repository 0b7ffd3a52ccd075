"""Page views in a contact's export, deletion and anonymisation, and their retention."""

import json
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from journey.models import JourneySession, JourneySettings, PageView
from journey.tasks import purge_old_page_views
from tests.journey_helpers import page, send, visitor
from tests.test_contact_erasure import text_columns

pytest_plugins = ["tests.journey_world"]

SECRET_PAGE = "/konto/bestellungen/jana-berg-4711"


def stored_anywhere(needle):
    """(table, column) of every text column of every table that holds `needle`."""
    quote = connection.ops.quote_name
    found = []
    with connection.cursor() as cursor:
        for table, column in list(text_columns(cursor)):
            sql = f"SELECT CAST({quote(column)} AS TEXT) FROM {quote(table)}"  # noqa: S608
            cursor.execute(f"{sql} WHERE {quote(column)} IS NOT NULL")
            if any(needle in str(value) for (value,) in cursor.fetchall()):
                found.append((table, column))
    return found


@pytest.fixture
def browsed(widget, jana):
    """Jana browsed three pages while known, and one before the visitor was known as her."""
    _row, token = visitor(widget, contact=jana)
    send(widget, token, [page("/"), page(SECRET_PAGE, title="Bestellung 4711")], consent=True)
    anonymous, anonymous_token = visitor(widget)
    send(widget, anonymous_token, [page(SECRET_PAGE + "/vorher")], consent=True)
    anonymous.contact = jana
    anonymous.save()
    assert stored_anywhere(SECRET_PAGE)
    return jana


@pytest.mark.parametrize("how", ["delete", "anonymise"])
def test_erasing_a_contact_leaves_no_page_of_their_journey(client_for, ada, browsed, how):
    response = client_for(ada).post(reverse(f"contacts:{how}", args=[browsed.pk]))

    assert response.status_code == 302
    assert stored_anywhere(SECRET_PAGE) == []
    assert not JourneySession.objects.exists() and not PageView.objects.exists()


def test_the_export_holds_the_sessions_the_user_may_see(client_for, alice, bob, browsed):
    url = reverse("contacts:export", args=[browsed.pk, "json"])

    mine = json.loads(client_for(alice).get(url).content)
    others = json.loads(client_for(bob).get(url).content)

    urls = [v["url"] for s in mine["journey"] for v in s["page_views"]]
    assert any(u.endswith(SECRET_PAGE) for u in urls)
    assert any(u.endswith(SECRET_PAGE + "/vorher") for u in urls)
    assert mine["journey"][0]["ip_network"] == "203.0.113.0"
    assert others["journey"] == []


def test_retention_deletes_page_views_and_sessions_past_the_setting(widget, jana):
    _row, token = visitor(widget, contact=jana)
    send(widget, token, [page("/alt"), page("/neu")], consent=True)
    old, new = PageView.objects.order_by("at")
    settings = JourneySettings.load()
    settings.retention_days = 30
    settings.save()
    PageView.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=31))
    stale = JourneySession.objects.create(
        inbox=widget.inbox, last_seen_at=timezone.now() - timedelta(days=40)
    )
    PageView.objects.create(session=stale, url="https://x.example/", at=stale.last_seen_at)

    removed = purge_old_page_views.delay().get()

    assert removed == 2
    assert list(PageView.objects.values_list("pk", flat=True)) == [new.pk]
    assert not JourneySession.objects.filter(pk=stale.pk).exists()
    assert JourneySession.objects.count() == 1


def test_retention_is_90_days_by_default_and_runs_in_chunks(widget, jana):
    from journey.retention import purge_old_page_views as purge

    _row, token = visitor(widget, contact=jana)
    send(widget, token, [page(f"/{n}", at=time.time() * 1000) for n in range(5)], consent=True)
    PageView.objects.update(at=timezone.now() - timedelta(days=91))
    JourneySession.objects.update(last_seen_at=timezone.now() - timedelta(days=91))

    assert JourneySettings.load().retention_days == 90
    assert purge(chunk=2) == 5
    assert not PageView.objects.exists() and not JourneySession.objects.exists()


def test_the_beat_runs_the_retention_nightly_on_the_bulk_queue(settings):
    from config.queues import BEAT_SCHEDULE, ROUTES

    assert BEAT_SCHEDULE["purge-old-page-views"]["task"] == "journey.tasks.purge_old_page_views"
    assert ROUTES["journey.tasks.*"] == "bulk"
