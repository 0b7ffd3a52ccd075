"""The message assistant when things go wrong around it: Redis (the cache and the broker) down,
a worker killed mid-request, the time limits, an answer the cache lost — the page always ends
with a clear message and stops polling, and the request log keeps the outcome."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from assistant import actions, breaker, jobs, provider, tasks
from assistant.models import AssistantRequest, Feature, Outcome
from tests.fakes.openai_api import Reply

HX = {"HX-Request": "true"}


@pytest.fixture
def world(assistant_world):
    return assistant_world


class BrokenCache:
    """A cache whose Redis is gone: every operation raises, as Django's RedisCache does."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("Redis is down")

        return fail


def rewrite(client, world):
    url = reverse("assistant:reply_tool", args=[world["conversation"].pk])
    return client.post(url, {"body": "hallo", "assistant_operation": "shorten"}, headers=HX)


def poll(client, row):
    return client.get(reverse("assistant:request", args=[row.pk]), headers=HX)


def a_request(world, user, *, outcome, age_seconds):
    return AssistantRequest.objects.create(
        feature=Feature.REWRITE,
        user=user,
        organisation_id=1,
        inbox=world["inbox"],
        outcome=outcome,
        created_at=timezone.now() - timedelta(seconds=age_seconds),
    )


def test_a_request_lost_with_its_worker_ends_with_a_message(client_for, alice, world):
    row = a_request(
        world, alice, outcome=Outcome.RUNNING, age_seconds=actions.running_for_at_most() + 1
    )

    text = poll(client_for(alice), row).content.decode()

    assert "The request was interrupted" in text
    assert "hx-trigger" not in text  # the poller is swapped out
    row.refresh_from_db()
    assert row.outcome == Outcome.FAILED and row.finished_at is not None


def test_a_running_request_within_its_time_keeps_polling(client_for, alice, world):
    row = a_request(world, alice, outcome=Outcome.RUNNING, age_seconds=30)
    assert 'hx-trigger="every 1s"' in poll(client_for(alice), row).content.decode()
    row.refresh_from_db()
    assert row.outcome == Outcome.RUNNING


def test_a_request_no_worker_took_ends_with_a_message(client_for, alice, world):
    row = a_request(
        world, alice, outcome=Outcome.PENDING, age_seconds=actions.PENDING_FOR_AT_MOST + 1
    )
    text = poll(client_for(alice), row).content.decode()
    assert "not taken up" in text and "hx-trigger" not in text


def test_the_time_limits_lie_above_the_calls_deadline(settings):
    assert actions.request_seconds() < tasks.SOFT_LIMIT < tasks.HARD_LIMIT
    assert tasks.HARD_LIMIT - tasks.SOFT_LIMIT > settings.LLM_TIMEOUT  # room for the retry
    assert actions.running_for_at_most() > tasks.HARD_LIMIT


def test_the_cache_down_refuses_clearly_and_records_nothing(client_for, alice, world, monkeypatch):
    monkeypatch.setattr(jobs, "cache", BrokenCache())
    monkeypatch.setattr(breaker, "cache", BrokenCache())

    response = rewrite(client_for(alice), world)

    assert response.status_code == 503
    assert "cannot take requests just now" in response.content.decode()
    assert not AssistantRequest.objects.exists()
    assert not world["fake"].requests


def test_the_broker_down_ends_the_request_at_once(
    client_for, alice, world, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to localhost:6379. Connection refused.")

    monkeypatch.setattr(tasks.run_request, "delay", refuse)
    client = client_for(alice)

    with django_capture_on_commit_callbacks(execute=True):
        rewrite(client, world)

    row = AssistantRequest.objects.get()
    assert row.outcome == Outcome.FAILED
    text = poll(client, row).content.decode()
    assert "could not be queued" in text and "hx-trigger" not in text
    assert not world["fake"].requests


def test_a_finished_request_whose_answer_is_lost_explains_its_outcome(client_for, alice, world):
    row = a_request(world, alice, outcome=Outcome.TIMEOUT, age_seconds=5)
    assert "did not answer in time" in poll(client_for(alice), row).content.decode()


def test_redis_down_in_the_worker_still_records_the_outcome(world, alice, monkeypatch):
    row = a_request(world, alice, outcome=Outcome.PENDING, age_seconds=0)
    monkeypatch.setattr(jobs, "cache", BrokenCache())
    monkeypatch.setattr(breaker, "cache", BrokenCache())

    actions.run_request(row.pk)

    row.refresh_from_db()
    assert row.outcome == Outcome.FAILED and row.finished_at is not None
    assert not world["fake"].requests


def test_the_breaker_gives_up_quietly_without_its_cache(monkeypatch):
    monkeypatch.setattr(breaker, "cache", BrokenCache())
    breaker.record_failure()
    breaker.record_success()
    assert not breaker.is_open() and breaker.open_until() is None


def test_no_call_is_made_once_the_deadline_has_passed(world):
    calls = actions._Calls(request_id=0)
    calls.deadline = 0.0
    with pytest.raises(provider.ProviderError) as raised:
        calls([{"role": "user", "content": "hallo"}])
    assert raised.value.kind == "timeout"
    assert not world["fake"].requests


def test_each_attempt_gets_its_share_of_the_time_left(world, monkeypatch):
    seen = {}

    def complete(messages, **options):
        seen.update(options)
        return provider.Completion("OK", 1, 1, 1, "fake-model")

    monkeypatch.setattr(provider, "complete", complete)
    calls = actions._Calls(request_id=0)
    calls.deadline = actions.time.monotonic() + 3
    calls([{"role": "user", "content": "hallo"}])
    assert 1 < seen["timeout"] <= 1.5  # two attempts share the 3 seconds left


def test_the_soft_time_limit_inside_the_sdk_is_a_timeout(world, monkeypatch):
    """The SDK wraps any exception during a request as a connection error (and retries it);
    Celery's soft time limit must still end the request as timed out."""
    import openai
    from celery.exceptions import SoftTimeLimitExceeded

    class Completions:
        def create(self, **kwargs):
            try:
                raise SoftTimeLimitExceeded()
            except SoftTimeLimitExceeded as exc:
                raise openai.APIConnectionError(request=None) from exc

    class Client:
        chat = type("Chat", (), {"completions": Completions()})()

    monkeypatch.setattr(provider, "client", lambda: Client())
    with pytest.raises(SoftTimeLimitExceeded):
        provider.complete([{"role": "user", "content": "hallo"}])


def test_a_soft_time_limit_ends_the_request_as_timed_out(client_for, alice, world, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    def hang(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(provider, "complete", hang)
    client = client_for(alice)
    rewrite(client, world)
    row = AssistantRequest.objects.get()
    actions.run_request(row.pk)

    row.refresh_from_db()
    assert row.outcome == Outcome.TIMEOUT
    assert "did not answer in time" in poll(client, row).content.decode()


def test_a_second_delivery_of_the_task_does_nothing(
    client_for, alice, world, django_capture_on_commit_callbacks
):
    world["fake"].then(Reply("Kurz."))
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        rewrite(client, world)
    row = AssistantRequest.objects.get()

    actions.run_request(row.pk)  # redelivered after the first run

    assert len(world["fake"].requests) == 1
    row.refresh_from_db()
    assert row.outcome == Outcome.OK
