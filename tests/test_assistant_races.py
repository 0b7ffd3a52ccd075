"""The message assistant under two clicks at once: a double click on "Summarise" or "Suggest
three drafts" makes one request (one comment), and two requests started together near the end
of the monthly budget cannot both go through — the requests in flight hold a reservation."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Organisation
from assistant import actions, budget
from assistant.models import AssistantRequest, Feature, Outcome
from inbox.models import Comment
from lib.errors import ActionRefused
from tests.assistant_world import variants
from tests.fakes.openai_api import Reply

HX = {"HX-Request": "true"}


@pytest.fixture
def world(assistant_world):
    return assistant_world


def summarise(client, world):
    return client.post(reverse("assistant:summarise", args=[world["conversation"].pk]), headers=HX)


def test_a_double_click_on_summarise_makes_one_comment(
    client_for, alice, world, django_capture_on_commit_callbacks
):
    world["fake"].then(Reply("Kundin wartet auf Bestellung 4711."))
    client = client_for(alice)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = summarise(client, world)
        second = summarise(client, world)  # before the worker took the first
    for callback in queued:
        callback()

    row = AssistantRequest.objects.get()
    assert f"/assistant/requests/{row.pk}/" in first.content.decode()
    assert f"/assistant/requests/{row.pk}/" in second.content.decode()
    assert Comment.objects.filter(conversation=world["conversation"]).count() == 1
    assert len(world["fake"].requests) == 1


def test_a_double_click_on_draft_makes_one_request(
    client_for, max_manager, world, django_capture_on_commit_callbacks
):
    good = "Nur bis Sonntag: 20 % auf alle Räder. Kommen Sie vorbei!"
    world["fake"].then(Reply(variants(good, good, good)))
    client = client_for(max_manager)
    url = reverse("assistant:campaign_draft", args=[world["campaign"].pk])
    brief = {
        "topic": "Frühlingsaktion",
        "tone": "formal",
        "kind": "offer",
        "language": "de",
        "max_segments": "1",
    }

    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(url, brief, headers=HX)
        client.post(url, brief, headers=HX)
    for callback in queued:
        callback()

    assert AssistantRequest.objects.count() == 1
    assert len(world["fake"].requests) == 1


def test_another_operation_or_a_finished_request_is_a_new_one(
    client_for, alice, world, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    url = reverse("assistant:reply_tool", args=[world["conversation"].pk])
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url, {"body": "hallo", "assistant_operation": "shorten"}, headers=HX)
        client.post(url, {"body": "hallo", "assistant_operation": "grammar"}, headers=HX)
    assert AssistantRequest.objects.count() == 2

    AssistantRequest.objects.update(outcome=Outcome.OK)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url, {"body": "hallo", "assistant_operation": "shorten"}, headers=HX)
    assert AssistantRequest.objects.count() == 3


def test_a_request_in_flight_holds_its_share_of_the_budget(
    client_for, alice, max_manager, world, django_capture_on_commit_callbacks
):
    Organisation.objects.filter(pk=1).update(
        assistant_monthly_tokens=budget.RESERVED_TOKENS[Feature.SUMMARY]
    )
    with django_capture_on_commit_callbacks(execute=False):
        assert summarise(client_for(alice), world).status_code == 200  # in flight

    response = summarise(client_for(max_manager), world)

    assert response.status_code == 429
    assert "requests still running may use up" in response.content.decode()
    assert AssistantRequest.objects.count() == 1
    usage = budget.usage_this_month()
    assert (usage.used, usage.reserved) == (0, budget.RESERVED_TOKENS[Feature.SUMMARY])


def test_a_lost_request_holds_no_budget(world, alice):
    from datetime import timedelta

    from django.utils import timezone

    AssistantRequest.objects.create(
        feature=Feature.SUMMARY,
        user=alice,
        organisation_id=1,
        outcome=Outcome.RUNNING,
        created_at=timezone.now() - timedelta(seconds=actions.running_for_at_most() + 5),
    )
    assert budget.usage_this_month().reserved == 0


def test_the_budget_is_one_query(world, django_assert_num_queries):
    organisation = Organisation.load()
    with django_assert_num_queries(1):
        budget.usage_this_month(organisation)


def test_two_requests_at_once_cannot_both_pass_the_budget(
    transactional_db, fake_openai, alice, max_manager, organisation
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    from campaigns.models import CampaignSettings
    from tests.factories import inbound, inbox_with

    inbox = inbox_with("Kundenservice", members=[alice], managers=[max_manager])
    CampaignSettings.objects.for_inbox(inbox)
    CampaignSettings.objects.filter(inbox=inbox).update(assistant_enabled=True)
    conversation = inbound(inbox, body="Hallo, wo ist mein Paket?").conversation
    Organisation.objects.filter(pk=1).update(
        assistant_monthly_tokens=budget.RESERVED_TOKENS[Feature.SUMMARY]
    )
    start = threading.Barrier(2)
    outcomes = []

    def ask(user):
        try:
            start.wait(5)
            actions.start_request(
                feature=Feature.SUMMARY,
                actor=user,
                inbox=inbox,
                payload={"conversation_id": conversation.pk},
            )
            outcomes.append("started")
        except ActionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(user,)) for user in (alice, max_manager)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert sorted(outcomes) == ["refused", "started"]
    assert AssistantRequest.objects.count() == 1
