"""Survey results: the arithmetic (CSAT %, NPS, CES, response rate), per-agent attribution,
the CSV, the access rules (404 for other inboxes, 403 for members' writes) and the results
page's fixed number of queries."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.actions.responses import record_answer
from surveys.models import InvitationStatus, Survey, SurveyInvitation
from surveys.results import headline, period_bounds, rate, results_for
from tests.factories import UserFactory, inbox_with
from tests.surveys_helpers import survey_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox_a(alice, max_manager):
    return inbox_with("A", "open", members=[alice], managers=[max_manager])


def answered(survey, agent, scores, *, unanswered=0, comment=""):
    """Sent invitations handled by `agent`, answered with `scores`, and `unanswered` more."""
    now = timezone.now()
    for number, score in enumerate([*scores, *([None] * unanswered)]):
        invitation = SurveyInvitation.objects.create(
            survey=survey,
            agent=agent,
            source="manual",
            status=InvitationStatus.SENT,
            channel="sms",
            address=f"+4917000{agent.pk:03d}{number:04d}",
            sent_at=now,
        )
        if score is not None:
            record_answer(invitation, score=score, comment=comment)


def test_csat_is_the_share_of_four_and_five(inbox_a, alice, max_manager):
    survey = survey_of(inbox_a, max_manager)
    answered(survey, alice, [5, 4, 3, 1], unanswered=4)

    found = results_for(survey, since=period_bounds("30")[0], until=timezone.now())

    assert found.answers == 4
    assert found.figure == 50.0  # 2 of 4 answered 4 or 5
    assert (found.sent, found.answered, found.response_rate) == (8, 4, 50.0)
    assert found.average == 3.25


def test_nps_is_promoters_minus_detractors(inbox_a, alice, max_manager):
    survey = survey_of(inbox_a, max_manager, kind="nps")
    # 3 promoters (9, 10, 9), 2 passives (7, 8), 5 detractors (0, 3, 6, 6, 5): 30 % - 50 %
    answered(survey, alice, [9, 10, 9, 7, 8, 0, 3, 6, 6, 5])

    found = results_for(survey, since=period_bounds("30")[0], until=timezone.now())

    assert found.figure == -20.0
    assert [row["count"] for row in found.distribution] == [1, 0, 0, 1, 0, 1, 2, 1, 1, 2, 1]


def test_ces_is_the_average():
    assert headline("ces", {"answers": 3, "average": 16 / 3, "satisfied": 0}) == 5.33
    assert headline("csat", {"answers": 0}) is None
    assert rate(0, 0) is None and rate(1, 3) == 33.3


def test_results_are_attributed_to_the_agent_who_handled_the_conversation(
    inbox_a, alice, max_manager
):
    carla = UserFactory(display_name="Carla Agent")
    survey = survey_of(inbox_a, max_manager)
    answered(survey, alice, [5, 5, 4], unanswered=1)
    answered(survey, carla, [1, 2, 5])
    since = period_bounds("30")[0]

    agents = {
        row["name"]: row for row in results_for(survey, since=since, until=timezone.now()).agents
    }

    assert agents["Alice Agent"]["figure"] == 100.0 and agents["Alice Agent"]["sent"] == 4
    assert agents["Carla Agent"]["figure"] == 33.3 and agents["Carla Agent"]["answers"] == 3
    only_carla = results_for(survey, since=since, until=timezone.now(), agent_id=carla.pk)
    assert (only_carla.answers, only_carla.figure) == (3, 33.3)


def test_the_results_page_runs_a_fixed_number_of_queries(
    client_for, inbox_a, alice, max_manager, django_assert_max_num_queries
):
    survey = survey_of(inbox_a, max_manager)
    answered(survey, alice, [5], comment="gut")
    client = client_for(max_manager)
    url = reverse("surveys:detail", args=[survey.pk])
    client.get(url)  # the session and scope are warm from now on

    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for index in range(30):
        carla = UserFactory(display_name=f"Agent {index}")
        answered(survey, carla, [index % 5 + 1, 4], comment="Kommentar")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)

    assert response.status_code == 200
    assert b"<svg" in response.content and b"survey-bar" in response.content
    assert b"style=" not in response.content.split(b"<main")[1]  # CSP: no inline styles


def test_the_csv_holds_the_answers_with_safe_cells(client_for, inbox_a, alice, max_manager):
    survey = survey_of(inbox_a, max_manager)
    answered(survey, alice, [5], comment='=HYPERLINK("http://evil")')

    response = client_for(alice).get(reverse("surveys:export", args=[survey.pk]))

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["answered_at", "changed_at", "score"]
    assert rows[1][2] == "5" and rows[1][3].startswith("'=") and rows[1][6] == "Alice Agent"


def test_the_list_shows_the_figure(client_for, inbox_a, alice, max_manager):
    survey = survey_of(inbox_a, max_manager)
    answered(survey, alice, [5, 1])

    page = client_for(alice).get(reverse("surveys:index")).content.decode()

    assert survey.name in page and "50.0 %" in page


# --- Access -------------------------------------------------------------------------------


def test_users_of_other_inboxes_get_404(client_for, inbox_a, bob, max_manager):
    inbox_with("B", "open", members=[bob])
    survey = survey_of(inbox_a, max_manager)
    client = client_for(bob)

    for name in ("detail", "export", "edit", "delete"):
        assert client.get(reverse(f"surveys:{name}", args=[survey.pk])).status_code == 404
        assert client.post(reverse(f"surveys:{name}", args=[survey.pk])).status_code == 404
    assert survey.name not in client.get(reverse("surveys:index")).content.decode()


def test_members_read_and_managers_write(client_for, inbox_a, alice, max_manager, ada):
    survey = survey_of(inbox_a, max_manager)
    edit = reverse("surveys:edit", args=[survey.pk])
    delete = reverse("surveys:delete", args=[survey.pk])

    assert client_for(alice).get(reverse("surveys:detail", args=[survey.pk])).status_code == 200
    assert client_for(alice).get(edit).status_code == 403
    assert client_for(alice).post(delete).status_code == 403
    assert client_for(alice).get(reverse("surveys:new")).status_code == 403
    assert client_for(max_manager).get(edit).status_code == 200
    assert client_for(ada).get(edit).status_code == 200
    assert Survey.objects.filter(pk=survey.pk).exists()


def test_a_manager_creates_and_edits_a_survey_with_clear_errors(client_for, inbox_a, max_manager):
    client = client_for(max_manager)
    data = {
        "name": "NPS Q1",
        "inbox": inbox_a.pk,
        "kind": "nps",
        "channel": "",
        "on_resolve": "on",
        "delay_minutes": "30",
        "throttle_days": "90",
        "is_active": "on",
        "question_de": "Würden Sie uns empfehlen?",
    }
    bad = client.post(reverse("surveys:new"), {**data, "delay_minutes": "-3", "kind": "xyz"})
    assert bad.status_code == 422 and b"field-error" in bad.content

    created = client.post(reverse("surveys:new"), data)
    survey = Survey.objects.get(name="NPS Q1")
    assert created.status_code == 302
    assert survey.texts["de"]["question"] == "Würden Sie uns empfehlen?"
    assert survey.events.filter(kind="created").exists()

    client.post(reverse("surveys:edit", args=[survey.pk]), {**data, "throttle_days": "7"})
    survey.refresh_from_db()
    assert survey.throttle_days == 7 and survey.events.filter(kind="updated").exists()

    other = inbox_with("C", "open")
    foreign = client.post(reverse("surveys:new"), {**data, "inbox": other.pk})
    assert foreign.status_code == 422


def test_a_survey_that_invited_someone_is_not_deleted(client_for, inbox_a, alice, max_manager):
    survey = survey_of(inbox_a, max_manager)
    answered(survey, alice, [5])

    client_for(max_manager).post(reverse("surveys:delete", args=[survey.pk]))
    assert Survey.objects.filter(pk=survey.pk).exists()

    unused = survey_of(inbox_a, max_manager, name="Leer")
    client_for(max_manager).post(reverse("surveys:delete", args=[unused.pk]))
    assert not Survey.objects.filter(pk=unused.pk).exists()
