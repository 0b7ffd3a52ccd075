"""The message assistant's requests: the inbox switch and its terms, the monthly budget, the
provider's failures (timeout, 429) as clear messages, the circuit breaker, masking of phone
numbers, e-mail addresses and IBANs, the log without content, who may use what, and the
reply-box tools (rewrite, summary into a comment) — through HTTP with the fake model."""

import time

import pytest
from django.urls import reverse

from accounts.models import Organisation
from assistant import breaker, provider
from assistant.masking import mask, unmask
from assistant.models import AssistantRequest, Feature, Outcome
from campaigns.models import CampaignSettings
from inbox.models import Comment, Message
from tests.fakes.openai_api import Reply, Slow, Status

HX = {"HX-Request": "true"}


@pytest.fixture
def world(assistant_world):
    return assistant_world


def rewrite(client, world, body="hallo, ich schau mir das an", operation="shorten", **extra):
    url = reverse("assistant:reply_tool", args=[world["conversation"].pk])
    data = {"body": body, "assistant_operation": operation, **extra}
    return client.post(url, data, headers=HX)


def summarise(client, world):
    return client.post(reverse("assistant:summarise", args=[world["conversation"].pk]), headers=HX)


def poll(client, row):
    return client.get(reverse("assistant:request", args=[row.pk]), headers=HX)


def done(client, send, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send()
    assert response.status_code == 200, response.content
    row = AssistantRequest.objects.latest("id")
    return poll(client, row), row


# --- Settings and terms ------------------------------------------------------------------


def test_switching_the_assistant_on_records_who_accepted_the_terms(client_for, max_manager, world):
    inbox = world["inbox"]
    CampaignSettings.objects.filter(inbox=inbox).update(assistant_enabled=False)
    url = reverse("campaign_settings:inbox_campaigns", args=[inbox.pk])
    client = client_for(max_manager)

    page = client.get(url).content.decode()
    assert "Terms of use of the message assistant" in page
    assert "never sends anything on its own" in page
    assert 'name="assistant_masks_personal_data"' in page

    client.post(
        url,
        {
            "assistant_enabled": "on",
            "assistant_masks_shown": "1",
            "assistant_masks_personal_data": "on",
        },
    )

    settings = CampaignSettings.objects.get(inbox=inbox)
    assert settings.assistant_enabled
    assert settings.assistant_terms_accepted_by == max_manager
    assert settings.assistant_terms_accepted_at is not None
    assert settings.assistant_masks_personal_data
    assert "Terms accepted by Max Manager" in client.get(url).content.decode()

    client.post(url, {"assistant_enabled": "on"})  # a form without the switch: unchanged
    assert CampaignSettings.objects.get(inbox=inbox).assistant_masks_personal_data
    client.post(url, {"assistant_enabled": "on", "assistant_masks_shown": "1"})  # unchecked
    assert not CampaignSettings.objects.get(inbox=inbox).assistant_masks_personal_data


def test_without_a_model_the_buttons_are_absent_and_the_settings_say_why(
    client_for, max_manager, ada, world, settings
):
    settings.LLM_BASE_URL = ""
    inbox = world["inbox"]
    page = client_for(max_manager).get(
        reverse("campaign_settings:inbox_campaigns", args=[inbox.pk])
    )
    assert "LLM_BASE_URL is not set" in page.content.decode()
    overview = client_for(ada).get(reverse("assistant_settings:overview")).content.decode()
    assert 'id="assistant-not-configured"' in overview
    conversation = client_for(max_manager).get(
        reverse("inbox:conversation", args=[world["conversation"].pk])
    )
    assert "Summarise this case" not in conversation.content.decode()
    response = summarise(client_for(max_manager), world)
    assert response.status_code == 409
    assert "LLM_BASE_URL is not set" in response.content.decode()
    assert not world["fake"].requests


def test_the_reply_box_shows_the_tool_to_members(client_for, alice, world):
    page = client_for(alice).get(reverse("inbox:conversation", args=[world["conversation"].pk]))
    assert "Summarise this case" in page.content.decode()


# --- Budget ------------------------------------------------------------------------------


def test_over_budget_means_a_clear_message_and_no_request(
    client_for, alice, ada, world, django_capture_on_commit_callbacks
):
    Organisation.objects.filter(pk=1).update(assistant_monthly_tokens=100)
    client = client_for(alice)
    world["fake"].then(Reply("Ich prüfe das.", prompt_tokens=80, completion_tokens=30))
    done(client, lambda: rewrite(client, world), django_capture_on_commit_callbacks)
    assert len(world["fake"].requests) == 1

    response = rewrite(client, world)

    assert response.status_code == 429
    assert "budget for this month is used up (110 of 100 tokens)" in response.content.decode()
    assert len(world["fake"].requests) == 1
    assert AssistantRequest.objects.count() == 1
    overview = client_for(ada).get(reverse("assistant_settings:overview")).content.decode()
    assert "This month: 110 of 100 tokens" in overview


def test_an_admin_sets_the_budget(client_for, ada, max_manager, world):
    url = reverse("assistant_settings:overview")
    assert client_for(max_manager).get(url).status_code == 403
    client_for(ada).post(url, {"assistant_monthly_tokens": "5000"})
    assert Organisation.objects.get().assistant_monthly_tokens == 5000
    response = client_for(ada).post(url, {"assistant_monthly_tokens": "-3"}, headers=HX)
    assert response.status_code == 422
    assert Organisation.objects.get().assistant_monthly_tokens == 5000


def test_last_months_requests_do_not_count(client_for, alice, world):
    from datetime import timedelta

    from django.utils import timezone

    Organisation.objects.filter(pk=1).update(assistant_monthly_tokens=100)
    AssistantRequest.objects.create(
        feature=Feature.REWRITE,
        organisation_id=1,
        prompt_tokens=500,
        outcome=Outcome.OK,
        created_at=timezone.now() - timedelta(days=40),
    )
    assert rewrite(client_for(alice), world).status_code == 200


# --- Provider failures -------------------------------------------------------------------


def test_a_timeout_is_a_clear_message(client_for, alice, world, django_capture_on_commit_callbacks):
    world["fake"].then(Slow(5), Slow(5))  # the first try and the SDK's one retry
    client = client_for(alice)

    response, row = done(client, lambda: rewrite(client, world), django_capture_on_commit_callbacks)

    assert "did not answer in time" in response.content.decode()
    row.refresh_from_db()
    assert row.outcome == Outcome.TIMEOUT
    assert len(world["fake"].requests) == 2  # max_retries=1


def test_a_429_is_a_clear_message(client_for, alice, world, django_capture_on_commit_callbacks):
    world["fake"].then(Status(429), Status(429))
    client = client_for(alice)

    response, row = done(client, lambda: rewrite(client, world), django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "too many requests" in response.content.decode()
    row.refresh_from_db()
    assert row.outcome == Outcome.RATE_LIMITED


def test_the_sdk_is_imported_only_when_a_request_is_made():
    import subprocess
    import sys

    code = (
        "import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings');"
        "django.setup(); import assistant.views, assistant.actions, assistant.provider;"
        "print('openai' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


# --- Circuit breaker ---------------------------------------------------------------------


def test_the_breaker_opens_after_repeated_failures_hides_the_buttons_and_closes_later(
    client_for, alice, world, django_capture_on_commit_callbacks, monkeypatch
):
    client = client_for(alice)
    world["fake"].then(*[Status(500)] * (2 * breaker.FAILURES_TO_OPEN))
    for _ in range(breaker.FAILURES_TO_OPEN):
        done(client, lambda: rewrite(client, world), django_capture_on_commit_callbacks)
    assert breaker.is_open()
    page = client.get(reverse("inbox:conversation", args=[world["conversation"].pk]))
    assert "Summarise this case" not in page.content.decode()
    asked = len(world["fake"].requests)
    response = rewrite(client, world)
    assert response.status_code == 409
    assert "paused for a few minutes" in response.content.decode()
    assert len(world["fake"].requests) == asked  # no request while open

    later = time.time() + breaker.COOL_DOWN_SECONDS + 1
    monkeypatch.setattr(breaker.time, "time", lambda: later)
    assert not breaker.is_open()
    page = client.get(reverse("inbox:conversation", args=[world["conversation"].pk]))
    assert "Summarise this case" in page.content.decode()


def test_a_success_resets_the_count(world):
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert not breaker.is_open()


# --- Masking -----------------------------------------------------------------------------


def test_masking_phone_email_and_iban():
    text = (
        "Ruf an: +49 170 1234567 oder 030/123456, jana.k@example.de, "
        "IBAN DE89 3704 0044 0532 0130 00. Termin 12.05.2025, Bestellung 4711."
    )
    masked = mask(text)
    assert masked.text == (
        "Ruf an: [PHONE_1] oder [PHONE_2], [EMAIL_1], IBAN [IBAN_1]. "
        "Termin 12.05.2025, Bestellung 4711."
    )
    assert unmask(masked.text, masked.placeholders) == text


def test_the_summary_is_masked_and_becomes_a_comment_on_behalf_of_the_agent(
    client_for, alice, world, django_capture_on_commit_callbacks
):
    world["fake"].then(Reply("Kundin wartet auf Bestellung 4711; Rückruf unter [PHONE_1]."))
    client = client_for(alice)
    messages_before = Message.objects.count()

    response, row = done(
        client, lambda: summarise(client, world), django_capture_on_commit_callbacks
    )

    assert "added to the conversation as an internal comment" in response.content.decode()
    comment = Comment.objects.get(conversation=world["conversation"], author=alice)
    assert comment.body.startswith("Summary by the message assistant, on behalf of Alice Agent:")
    assert "Bestellung 4711" in comment.body
    assert Message.objects.count() == messages_before  # nothing sent
    sent = world["fake"].requests[0]
    assert sent["stream"] is True
    prompt = sent["messages"][1]["content"]
    assert "[PHONE_1]" in prompt and "[EMAIL_1]" in prompt and "[IBAN_1]" in prompt
    for secret in ("1234567", "jana@example.de", "3704 0044"):
        assert secret not in prompt
    row.refresh_from_db()
    assert (row.feature, row.outcome) == (Feature.SUMMARY, Outcome.OK)


def test_unmasked_when_the_inbox_says_so(
    client_for, alice, world, django_capture_on_commit_callbacks
):
    CampaignSettings.objects.filter(inbox=world["inbox"]).update(
        assistant_masks_personal_data=False
    )
    client = client_for(alice)
    done(client, lambda: summarise(client, world), django_capture_on_commit_callbacks)
    assert "+49 170 1234567" in world["fake"].requests[0]["messages"][1]["content"]


def test_a_rewrite_keeps_the_agents_number_and_never_sends(
    client_for, alice, world, django_capture_on_commit_callbacks
):
    world["fake"].then(Reply("Rufen Sie uns an: [PHONE_1]."))
    client = client_for(alice)
    before = Message.objects.count()

    response, _row = done(
        client,
        lambda: rewrite(
            client,
            world,
            body="ruf an 0170 7654321 ok",
            operation="rewrite",
            assistant_tone="formal",
        ),
        django_capture_on_commit_callbacks,
    )

    text = response.content.decode()
    assert 'data-text="Rufen Sie uns an: 0170 7654321."' in text
    # The button names the conversation's reply box, the textarea the thread renders.
    assert f'data-assistant-insert="reply-body-{world["conversation"].pk}"' in text
    assert "Replace the reply text" in text
    assert "0170 7654321" not in world["fake"].requests[0]["messages"][1]["content"]
    assert "formal" in world["fake"].requests[0]["messages"][1]["content"]
    assert Message.objects.count() == before


def test_a_rewrite_with_an_invented_link_is_not_offered(
    client_for, alice, world, django_capture_on_commit_callbacks
):
    world["fake"].then(Reply("Mehr unter https://phish.example/login"))
    client = client_for(alice)
    response, _row = done(
        client, lambda: rewrite(client, world), django_capture_on_commit_callbacks
    )
    text = response.content.decode()
    assert "not in your text" in text
    assert "Replace the reply text" not in text


@pytest.mark.parametrize(
    ("body", "answer", "extra", "reason"),
    [
        ("ruf an 0170 7654321 ok", "Rufen Sie uns an.", {}, "left out a phone number"),
        ("ruf an 0170 7654321 ok", "Rufen Sie [PHONE_4] an.", {}, "stands for nothing"),
        (
            "hallo, ich schau mir das an",
            "Hallo {{ contact.shoe_size }}, ich sehe es mir an.",
            {},
            "There is no variable",
        ),
        (
            "hallo, ich schau mir das an und melde mich bei dir",
            "Hello, I will have a look and get back to you with the answer",
            {"operation": "grammar"},
            "Written in English, not German",
        ),
        (
            "hallo, ich schau mir das an und melde mich bei dir",
            "Hallo, ich sehe mir das an und melde mich bei Ihnen",
            {"operation": "translate", "assistant_language": "sv"},
            "Written in German, not Swedish",
        ),
    ],
    ids=["dropped-number", "made-up-placeholder", "unknown-variable", "language", "translation"],
)
def test_a_rewrite_that_fails_a_check_is_not_offered(
    client_for, alice, world, django_capture_on_commit_callbacks, body, answer, extra, reason
):
    world["fake"].then(Reply(answer))
    client = client_for(alice)
    response, row = done(
        client,
        lambda: rewrite(client, world, body=body, **extra),
        django_capture_on_commit_callbacks,
    )
    text = response.content.decode()
    assert reason in text
    assert "Replace the reply text" not in text
    row.refresh_from_db()
    assert row.outcome == Outcome.REJECTED


def test_the_contacts_name_is_masked_too_and_restored_in_the_comment(
    client_for, alice, world, django_capture_on_commit_callbacks
):
    contact = world["conversation"].contact
    contact.first_name, contact.last_name = "Jana", "Kowalski"
    contact.save(update_fields=["first_name", "last_name"])
    Message.objects.filter(conversation=world["conversation"]).update(
        body="Hallo, hier ist Jana Kowalski, Rückruf bitte unter +49 170 1234567."
    )
    world["fake"].then(Reply("[NAME_1] [NAME_2] bittet um Rückruf unter [PHONE_1]."))
    client = client_for(alice)

    done(client, lambda: summarise(client, world), django_capture_on_commit_callbacks)

    prompt = world["fake"].requests[0]["messages"][1]["content"]
    assert "Jana" not in prompt and "Kowalski" not in prompt and "1234567" not in prompt
    comment = Comment.objects.get(conversation=world["conversation"])
    assert "Jana Kowalski bittet um Rückruf unter +49 170 1234567." in comment.body


def test_a_customers_markup_echoed_by_the_model_is_shown_as_text(
    client_for, alice, world, django_capture_on_commit_callbacks
):
    world["fake"].then(Reply('<script>alert(1)</script> Danke, "ich" prüfe das'))
    client = client_for(alice)
    response, _row = done(
        client,
        lambda: rewrite(client, world, body="<script>alert(1)</script> danke, ich prüfe das"),
        django_capture_on_commit_callbacks,
    )
    text = response.content.decode()
    assert "<script>alert(1)" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_an_empty_reply_box_is_a_clear_message(client_for, alice, world):
    response = rewrite(client_for(alice), world, body="  ")
    assert response.status_code == 422
    assert "Write something in the reply box first" in response.content.decode()


# --- The log -----------------------------------------------------------------------------


def test_each_request_is_logged_without_its_content(
    client_for, alice, ada, world, django_capture_on_commit_callbacks
):
    world["fake"].then(Reply("Geheime Antwort XYZ", prompt_tokens=42, completion_tokens=7))
    client = client_for(alice)
    done(
        client,
        lambda: rewrite(client, world, body="Geheimer Entwurf ABC"),
        django_capture_on_commit_callbacks,
    )

    row = AssistantRequest.objects.get()
    assert (row.feature, row.user, row.inbox, row.model) == (
        Feature.REWRITE,
        alice,
        world["inbox"],
        "fake-model",
    )
    assert (row.prompt_tokens, row.completion_tokens, row.outcome) == (42, 7, Outcome.OK)
    assert row.latency_ms is not None and row.finished_at is not None
    stored = " ".join(str(getattr(row, f.attname)) for f in AssistantRequest._meta.concrete_fields)
    assert "Geheim" not in stored and "ABC" not in stored and "XYZ" not in stored
    overview = client_for(ada).get(reverse("assistant_settings:overview")).content.decode()
    assert "Reply rewrite" in overview and "Geheim" not in overview


# --- Rights ------------------------------------------------------------------------------


def test_another_inbox_gets_404_everywhere(client_for, bob, world):
    client = client_for(bob)
    assert rewrite(client, world).status_code == 404
    assert summarise(client, world).status_code == 404
    draft = reverse("assistant:campaign_draft", args=[world["campaign"].pk])
    assert client.post(draft, {"topic": "x"}).status_code == 404
    assert not world["fake"].requests


def test_members_may_not_draft_campaigns(client_for, alice, world):
    draft = reverse("assistant:campaign_draft", args=[world["campaign"].pk])
    assert client_for(alice).post(draft, {"topic": "x"}).status_code == 403


def test_only_the_requester_follows_a_request(
    client_for, alice, max_manager, bob, world, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    _response, row = done(
        client, lambda: rewrite(client, world), django_capture_on_commit_callbacks
    )
    assert poll(client_for(max_manager), row).status_code == 404
    assert poll(client_for(bob), row).status_code == 404


def test_a_request_is_no_longer_followed_after_leaving_its_inbox(
    client_for, alice, world, django_capture_on_commit_callbacks
):
    from inbox.models import Membership

    client = client_for(alice)
    _response, row = done(
        client, lambda: rewrite(client, world), django_capture_on_commit_callbacks
    )
    Membership.objects.filter(user=alice, inbox=world["inbox"]).delete()
    Membership.objects.changed_for(alice.pk)  # as inbox.actions.settings.remove_member does
    assert poll(client_for(alice), row).status_code == 404


def test_every_post_needs_its_csrf_token(alice, world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(
        reverse("assistant:summarise", args=[world["conversation"].pk]), headers=HX
    )
    assert response.status_code == 403
    assert not AssistantRequest.objects.exists()


def test_the_settings_log_takes_the_same_queries_for_many_rows(
    client_for, ada, alice, bob, max_manager, world, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("assistant_settings:overview")
    client = client_for(ada)

    def add(n):
        for i in range(n):
            AssistantRequest.objects.create(
                feature=Feature.REWRITE,
                user=[alice, bob, max_manager][i % 3],
                organisation_id=1,
                inbox=[world["inbox"], world["other"]][i % 2],
                outcome=Outcome.OK,
            )

    add(1)
    client.get(url)  # warm the session and the settings sections
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add(30)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert page.count("Reply rewrite") == 31
    assert len(many) == len(one)


def test_a_pending_request_polls_until_it_is_done(client_for, alice, world):
    client = client_for(alice)
    response = rewrite(client, world)  # on-commit not run: the task has not started
    assert 'hx-trigger="every 1s"' in response.content.decode()
    row = AssistantRequest.objects.get()
    from assistant.actions import run_request

    run_request(row.pk)
    finished = poll(client, row).content.decode()
    assert "hx-trigger" not in finished
    assert "Replace the reply text" in finished


def test_without_javascript_a_request_is_a_page(client_for, alice, world):
    client = client_for(alice)
    response = client.post(
        reverse("assistant:reply_tool", args=[world["conversation"].pk]),
        {"body": "hallo", "assistant_operation": "grammar"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Message assistant" in page.content.decode()


def test_provider_module_is_the_only_one_importing_openai():
    from pathlib import Path

    root = Path(provider.__file__).parent
    importers = [p.name for p in root.glob("*.py") if "import openai" in p.read_text()]
    assert importers == ["provider.py"]
