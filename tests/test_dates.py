"""One short date style in the conversation list and the thread (lib.dates): today's time,
this year's day and month, the year on items from another year — day first and 24-hour in
English (en-GB), "30. Nov." in German, "30 nov" in Swedish."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from inbox.models import Conversation, Message
from lib.dates import short_date, short_moment
from tests.factories import inbound, inbox_with

TODAY = date(2026, 12, 1)
THIS_YEAR = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
LAST_YEAR = datetime(2025, 11, 30, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "this_year", "last_year"),
    [
        ("en", "30 Nov", "30 Nov 2025"),
        ("de", "30. Nov.", "30. Nov. 2025"),
        ("sv", "30 nov", "30 nov 2025"),
    ],
)
def test_the_year_only_on_items_from_another_year(language, this_year, last_year):
    with translation.override(language), timezone.override("UTC"):
        assert short_date(THIS_YEAR, today=TODAY) == this_year
        assert short_date(LAST_YEAR, today=TODAY) == last_year
        assert short_moment(LAST_YEAR, today=TODAY) == last_year
        assert short_moment(THIS_YEAR, today=TODAY, with_time=True) == f"{this_year}, 14:05"
        assert short_moment(LAST_YEAR, today=TODAY, with_time=True) == f"{last_year}, 14:05"


def test_today_is_the_time_in_24_hours_in_the_users_time_zone():
    at = datetime(2026, 12, 1, 17, 32, tzinfo=UTC)
    with translation.override("en"), timezone.override("Europe/Berlin"):
        assert short_moment(at, today=TODAY) == "18:32"
        assert short_moment(at, today=TODAY, with_time=True) == "18:32"
    # Just after midnight in Berlin is still the evening before in UTC: the local day counts.
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    with translation.override("en"), timezone.override("Europe/Berlin"):
        assert short_moment(late, today=TODAY) == "00:30"


def test_an_unknown_language_falls_back_to_day_and_month():
    with translation.override("fr"), timezone.override("UTC"):
        assert short_date(LAST_YEAR, today=TODAY) == "30 Nov 2025"


def test_list_and_thread_show_last_years_message_with_its_year(client_for, alice):
    inbox = inbox_with("Kundenservice", members=[alice])
    conversation = inbound(inbox, body="Noch eine Frage vom letzten Jahr").conversation
    last_year = timezone.now() - timedelta(days=400)
    Message.objects.filter(conversation=conversation).update(created_at=last_year)
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=last_year)
    alice.language, alice.time_zone = "de", "Europe/Berlin"
    alice.save()
    with translation.override("de"), timezone.override("Europe/Berlin"):
        day = short_date(last_year)
        time = timezone.localtime(last_year).strftime("%H:%M")
    assert day.split()[0].endswith(".") and day.endswith(str(timezone.localtime(last_year).year))

    page = client_for(alice).get(reverse("inbox:conversation", args=[conversation.pk]))

    html = page.content.decode()
    row = html[html.index(f'id="conversation-row-{conversation.pk}"') :]
    assert f'class="conv-time" datetime="{last_year.isoformat()}">{day}</time>' in row
    assert f">{day}, {time}</time>" in html
