"""Settings → System: admins only; heartbeats, queue depths and lag, stuck counts, providers,
version — and a clear sentence instead of a 500 when Redis is absent or down."""

import json
import os
import time
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox import actions
from inbox.models import InboxChannel, Message
from lib import heartbeats
from operations import queries, status
from tests.factories import inbound, inbox_with

URL = reverse("operations:system")
REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL")


@pytest.fixture
def no_redis(settings):
    settings.REDIS_URL = ""


@pytest.mark.parametrize("persona", ["max_manager", "alice"])
def test_only_admins_see_the_page(client_for, request, persona, no_redis):
    response = client_for(request.getfixturevalue(persona)).get(URL)

    assert response.status_code == 403


def test_the_section_is_in_the_admins_settings_navigation(client_for, ada, alice, no_redis):
    page = client_for(ada).get(URL)

    assert page.status_code == 200
    assert f'href="{URL}"'.encode() in page.content
    assert (
        f'href="{URL}"'.encode()
        not in client_for(alice).get(reverse("accounts:preferences")).content
    )


def test_without_redis_the_page_says_tasks_run_in_process(client_for, ada, no_redis):
    response = client_for(ada).get(URL)

    assert response.status_code == 200
    assert b"No REDIS_URL is set" in response.content


def test_redis_down_is_a_clear_message_not_a_500(client_for, ada, settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"

    response = client_for(ada).get(URL)

    assert response.status_code == 200
    assert b"Redis does not answer (ConnectionError)" in response.content


def test_providers_are_shown_without_their_secrets(client_for, ada, settings, no_redis):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC" + "a" * 32
    settings.TWILIO_AUTH_TOKEN = "the-very-secret-token"

    content = client_for(ada).get(URL).content.decode()

    assert "TWILIO_AUTH_TOKEN" in content and "the-very-secret-token" not in content
    assert "AC" + "a" * 32 not in content
    assert "/webhooks/twilio/" in content
    assert status.version().split()[0] in content


def test_stuck_and_unrouted_counts_stop_at_the_cap(client_for, ada, alice, monkeypatch, no_redis):
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    inbox = inbox_with("Service", members=[alice])
    channel = InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")
    conversation = inbound(inbox, inbox_channel=channel).conversation
    for _ in range(3):
        actions.reply(conversation, body="Danke!", actor=alice)
    Message.objects.filter(status="queued").update(due_at=timezone.now() - timedelta(hours=1))

    content = client_for(ada).get(URL).content.decode()

    assert '<td data-count="stuck-queued">2+</td>' in content
    assert '<td data-count="unrouted">0</td>' in content
    assert "requeue_outbound --dry-run" in content


def test_the_page_costs_a_fixed_number_of_queries(
    client_for, ada, no_redis, django_assert_max_num_queries
):
    client = client_for(ada)
    client.get(URL)

    with django_assert_max_num_queries(14):
        assert client.get(URL).status_code == 200


def test_the_refresh_answers_with_the_fragment(client_for, ada, no_redis):
    response = client_for(ada).get(URL, headers={"HX-Request": "true"})

    assert response.content.lstrip().startswith(b'<div id="system-status"')


# --- With Redis ------------------------------------------------------------------------------


@pytest.fixture
def own_queues(settings, monkeypatch):
    """Queue names and heartbeat keys of this test alone, removed afterwards."""
    import redis

    prefix = f"opstest-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("CELERY_QUEUE", prefix)
    settings.REDIS_URL = REDIS_URL
    settings.CELERY_WORKLOAD_QUEUES = {w: f"{prefix}.{w}" for w in ("realtime", "send", "bulk")}
    client = redis.Redis.from_url(REDIS_URL)
    yield client, settings.CELERY_WORKLOAD_QUEUES
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def task(sent_at: float | None) -> str:
    headers: dict[str, str | float] = {
        "task": "inbox.tasks.deliver_message",
        "id": str(uuid.uuid4()),
    }
    if sent_at is not None:
        headers["sent_at"] = sent_at
    return json.dumps({"body": "", "headers": headers, "properties": {}})


@needs_redis
def test_queue_depths_lag_and_heartbeats(client_for, ada, own_queues):
    client, queues = own_queues
    now = time.time()
    # Oldest on the right (kombu pushes left, takes right); a priority sub-list counts too.
    client.lpush(queues["send"], task(now - 90), task(now - 5))
    client.lpush(f"{queues['send']}\x06\x163", task(now - 300))
    client.lpush(queues["bulk"], task(None))
    heartbeats.beat(REDIS_URL, "beat")
    heartbeats.beat(REDIS_URL, "queue:send", waited=0.25)

    found = status.system_status()

    by_name = {queue.workload: queue for queue in found.queues}
    assert found.broker == "ok" and found.beat.alive
    assert by_name["send"].depth == 3
    assert 299 <= by_name["send"].oldest_age < 320
    assert by_name["send"].heartbeat.alive and by_name["send"].heartbeat.waited == 0.25
    assert by_name["bulk"].depth == 1 and by_name["bulk"].oldest_age is None
    assert by_name["realtime"].depth == 0 and not by_name["realtime"].heartbeat.alive
    content = client_for(ada).get(URL).content.decode()
    assert '<tr data-queue="send">' in content and "5 min" in content
    assert "no heartbeat" in content


@needs_redis
def test_published_tasks_carry_the_time_they_were_sent(settings, own_queues):
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # send_task ignores it anyway; say so, without a warning
    client, queues = own_queues
    before = time.time()
    with app.connection_for_write(REDIS_URL) as connection:
        app.send_task(
            "lib.tasks.heartbeat", args=("send", before), queue=queues["send"],
            connection=connection,
        )  # fmt: skip

    app.conf.task_always_eager = eager
    stamp = status.sent_at(client.lindex(queues["send"], -1))
    assert stamp is not None and before <= stamp <= time.time()
