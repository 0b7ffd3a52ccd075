"""Settings → Journey: the organisation's retention of page views (admins only)."""

import pytest
from django.urls import reverse

from accounts.models import AccountEvent
from journey.models import JourneySettings

URL = "journey_settings:journey"


def test_an_admin_sets_the_retention_and_it_is_recorded(client_for, ada):
    client = client_for(ada)

    page = client.get(reverse(URL))
    saved = client.post(reverse(URL), {"retention_days": "30"})

    assert page.status_code == 200 and 'value="90"' in page.content.decode()
    assert saved.status_code == 302
    assert JourneySettings.load().retention_days == 30
    event = AccountEvent.objects.get(kind="organisation_updated")
    assert event.actor == ada and event.data == {"journey_retention_days": [90, 30]}


@pytest.mark.parametrize("value", ["6", "366", "", "neunzig"])
def test_a_retention_outside_7_to_365_days_is_refused_with_a_message(client_for, ada, value):
    response = client_for(ada).post(reverse(URL), {"retention_days": value})

    assert response.status_code == 422
    assert 'class="field-error"' in response.content.decode()
    assert JourneySettings.load().retention_days == 90
    assert not AccountEvent.objects.exists()


def test_saving_unchanged_records_nothing(client_for, ada):
    client_for(ada).post(reverse(URL), {"retention_days": "90"})

    assert not AccountEvent.objects.exists()


@pytest.mark.parametrize("persona", ["alice", "bob", "max_manager"])
def test_only_admins_may_open_it(client_for, persona, request):
    client = client_for(request.getfixturevalue(persona))

    assert client.get(reverse(URL)).status_code == 403
    assert client.post(reverse(URL), {"retention_days": "7"}).status_code == 403
    assert JourneySettings.load().retention_days == 90


def test_the_page_runs_a_fixed_number_of_queries(client_for, ada, django_assert_max_num_queries):
    client = client_for(ada)
    with django_assert_max_num_queries(20):
        assert client.get(reverse(URL)).status_code == 200
