"""Requests to the message assistant: `start_request` (from a view) records the request
and hands it to a task; `run_request` (the task) asks the model, checks the answer and leaves
it for the page to poll (assistant.jobs), or writes the case summary as an internal comment.

The rules every request passes, in this order: the model is configured (LLM_BASE_URL), the
circuit breaker is closed, the inbox has the assistant switched on (its terms accepted), the
user has the right (a member of the conversation's inbox; a manager for campaign drafts),
and the organisation's monthly token budget is not used up. Nothing here ever sends a
message: drafts and rewrites go back to the user's text box, summaries into a comment.
"""

import functools
import time
from collections.abc import Callable
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AccountEvent, Organisation, User
from assistant import breaker, budget, drafts, jobs, masking, prompts, provider
from assistant.models import AssistantRequest, Feature, Outcome
from inbox.models import Conversation, Inbox
from lib.errors import ActionRefused

TRANSCRIPT_MESSAGES = 40
TRANSCRIPT_CHARACTERS = 12_000
PENDING_FOR_AT_MOST = 120  # seconds: a request no worker took by then is reported as failed


def request_seconds() -> float:
    """How long one request may take: two calls (the repair round), each of two attempts
    (the SDK's one retry) of up to LLM_TIMEOUT, and a little for the checks. The calls share
    this deadline (_Calls), and the task's time limits (assistant.tasks) lie above it."""
    return float(settings.LLM_TIMEOUT) * 2 * (provider.MAX_RETRIES + 1) + 10


def running_for_at_most() -> float:
    """A request still running after this was lost with its worker (killed, or stopped by
    the task's hard time limit): the page stops waiting and says so."""
    from assistant.tasks import HARD_LIMIT

    return HARD_LIMIT + 30


class Refused(Exception):
    """The request ended without a usable answer; `message` says why, for the user."""

    def __init__(self, message: str, outcome: str = Outcome.FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.outcome = outcome


def unavailable_reason(inbox: Inbox | None) -> str:
    """Why the assistant cannot be used now (empty: it can)."""
    from campaigns.models import CampaignSettings

    if not provider.is_configured():
        return _("The message assistant needs an AI model: the server's LLM_BASE_URL is not set.")
    if breaker.is_open():
        return _("The AI model failed several times; the assistant is paused for a few minutes.")
    if inbox is not None and not CampaignSettings.objects.for_inbox(inbox).assistant_enabled:
        return _("The message assistant is off for this inbox (Settings → Inboxes → Campaigns).")
    return ""


def is_available(inbox: Inbox | None) -> bool:
    return not unavailable_reason(inbox)


def masks_personal_data(inbox: Inbox) -> bool:
    from campaigns.models import CampaignSettings

    return CampaignSettings.objects.for_inbox(inbox).assistant_masks_personal_data


@transaction.atomic
def start_request(
    *, feature: str, actor: User, inbox: Inbox, payload: dict[str, Any]
) -> AssistantRequest:
    """Record a request (no content) and queue it; its inputs wait in the cache. A request
    of the actor's about the same subject still in flight is returned instead (a double
    click makes one request, one comment). Raises ActionRefused when the assistant is
    unavailable, the cache is down, or the month's budget is used up (including what the
    requests in flight hold), and PermissionDenied when the actor may not use the feature
    in this inbox. Locks the organisation's row until commit."""
    from assistant import tasks
    from inbox.access import inbox_role
    from inbox.models import InboxRole

    role = inbox_role(actor, inbox)
    if role is None or (feature == Feature.CAMPAIGN_DRAFT and role != InboxRole.MANAGER):
        raise PermissionDenied
    reason = unavailable_reason(inbox)
    if reason:
        raise ActionRefused(reason, status=409)
    # The organisation's row, locked: requests start one after another, so the budget and
    # the requests in flight are read as they are (two at once cannot both pass the check).
    organisation = Organisation.objects.select_for_update().get_or_create(
        pk=Organisation.SINGLETON_ID, defaults={"name": "Switchboard"}
    )[0]
    subject = subject_of(feature, payload)
    earlier = (
        AssistantRequest.objects.in_flight(lost_after=running_for_at_most())
        .filter(user=actor, feature=feature, subject=subject)
        .order_by("-pk")
        .first()
    )
    if earlier is not None:
        # A double click (or a second tab): the same request, not a second one.
        return earlier
    usage = budget.usage_this_month(organisation)
    if usage.exhausted:
        raise ActionRefused(
            _(
                "The organisation's message assistant budget for this month is used up "
                "(%(used)s of %(budget)s tokens). An admin can raise it under Settings → "
                "Message assistant."
            )
            % {"used": usage.used, "budget": usage.budget},
            status=429,
        )
    if usage.held_up:
        raise ActionRefused(
            _(
                "The requests still running may use up this month's message assistant "
                "budget. Try again when they are done."
            ),
            status=429,
        )
    request = AssistantRequest.objects.create(
        feature=feature,
        user=actor,
        organisation=organisation,
        inbox=inbox,
        subject=subject,
        model=provider.model_name(),
    )
    try:
        jobs.put_input(request.pk, payload)
    except jobs.StoreUnavailable as exc:
        # Rolls the row back with the transaction: nothing was asked.
        raise ActionRefused(
            _("The message assistant cannot take requests just now. Try again in a moment."),
            status=503,
        ) from exc
    transaction.on_commit(functools.partial(tasks.publish, request.pk))
    return request


def subject_of(feature: str, payload: dict[str, Any]) -> str:
    """What a request is about, by id (AssistantRequest.subject)."""
    if feature == Feature.CAMPAIGN_DRAFT:
        return f"campaign:{payload['campaign_id']}"
    if feature == Feature.REWRITE:
        return f"conversation:{payload['conversation_id']}:{payload['operation']}"
    return f"conversation:{payload['conversation_id']}"


def fail_unqueued(request_id: int) -> None:
    """The broker refused the task: the request ends as failed at once (the page says so)
    instead of waiting for PENDING_FOR_AT_MOST."""
    AssistantRequest.objects.filter(pk=request_id, outcome=Outcome.PENDING).update(
        outcome=Outcome.FAILED, finished_at=timezone.now()
    )
    jobs.put_result(request_id, {"error": _("The request could not be queued. Try again.")})


class _Calls:
    """The model calls of one request: their tokens and time add up, and each tells the
    circuit breaker how the provider did."""

    def __init__(self, request_id: int) -> None:
        self.request_id = request_id
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.latency_ms = 0
        self.count = 0
        self.deadline = time.monotonic() + request_seconds()

    def __call__(self, messages: list[dict[str, str]], **options: Any) -> provider.Completion:
        # Each attempt gets at most its share of the time left, so the request ends with a
        # clear "timed out" well before the task's time limit would stop it.
        remaining = self.deadline - time.monotonic()
        if remaining < 1:
            raise provider.ProviderError("timeout", "no time left for another call")
        options.setdefault(
            "timeout", min(float(settings.LLM_TIMEOUT), remaining / (provider.MAX_RETRIES + 1))
        )
        self.count += 1
        started = time.monotonic()
        try:
            completion = provider.complete(messages, **options)
        except provider.ProviderError as error:
            self.latency_ms += int((time.monotonic() - started) * 1000)
            if error.kind != "bad_response":
                breaker.record_failure()
            raise
        breaker.record_success()
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.latency_ms += completion.latency_ms
        return completion

    def progress(self, characters: int) -> None:
        jobs.put_progress(self.request_id, characters)


PROVIDER_OUTCOMES = {
    "timeout": Outcome.TIMEOUT,
    "rate_limited": Outcome.RATE_LIMITED,
    "unavailable": Outcome.FAILED,
    "bad_response": Outcome.BAD_RESPONSE,
}


def _provider_message(kind: str) -> str:
    # The sentences above, translated here (gettext needs them as literals for extraction).
    return {
        "timeout": _("The AI model did not answer in time. Try again in a moment."),
        "rate_limited": _("The AI model is busy (too many requests). Try again in a minute."),
        "unavailable": _("The AI model cannot be reached just now. Try again later."),
        "bad_response": _("The AI model's answer could not be read. Try again."),
    }[kind]


def outcome_message(outcome: str) -> str:
    """What the page says about a finished request whose answer is no longer in the cache."""
    if outcome == Outcome.TIMEOUT:
        return _provider_message("timeout")
    if outcome == Outcome.RATE_LIMITED:
        return _provider_message("rate_limited")
    if outcome == Outcome.BAD_RESPONSE:
        return _provider_message("bad_response")
    if outcome == Outcome.FAILED:
        return _("The request failed. Try again.")
    return _("The answer is no longer kept. Ask again.")


def run_request(request_id: int) -> None:
    """The task's work: claim the request (once: a second delivery finds it taken), run its
    feature, leave the answer in the cache and record tokens, time and outcome — never the
    content."""
    claimed = AssistantRequest.objects.filter(pk=request_id, outcome=Outcome.PENDING).update(
        outcome=Outcome.RUNNING
    )
    if not claimed:
        return
    request = AssistantRequest.objects.select_related("user", "inbox").get(pk=request_id)
    calls = _Calls(request_id)
    outcome: str = Outcome.OK
    language = getattr(request.user, "language", None) or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            try:
                payload = jobs.take_input(request_id)
            except jobs.StoreUnavailable:
                raise Refused(_provider_message("unavailable")) from None
            if payload is None or request.user is None or request.inbox is None:
                raise Refused(_("The request expired before it started. Try again."))
            reason = unavailable_reason(request.inbox)
            if reason:
                raise Refused(reason)
            result, outcome = FEATURES[request.feature](request, payload, calls)
        except provider.ProviderError as error:
            outcome = PROVIDER_OUTCOMES[error.kind]
            result = {"error": _provider_message(error.kind)}
        except Refused as refused:
            outcome, result = refused.outcome, {"error": refused.message}
        except PermissionDenied:
            outcome, result = Outcome.FAILED, {"error": _("You may no longer do this here.")}
        except SoftTimeLimitExceeded:
            outcome, result = Outcome.TIMEOUT, {"error": _provider_message("timeout")}
        except Exception:
            # A bug: the page hears that it failed, and the task's log has the traceback.
            _finish(request, calls, Outcome.FAILED, {"error": _provider_message("unavailable")})
            raise
    _finish(request, calls, outcome, result)


def _finish(request: AssistantRequest, calls: _Calls, outcome: str, result: dict[str, Any]) -> None:
    # The answer first, then the row: the page reads the answer once the row is finished.
    # The row is written whatever happens to the answer (jobs.put_result gives up quietly
    # when Redis is down; the page then explains the outcome).
    jobs.put_result(request.pk, result)
    AssistantRequest.objects.filter(pk=request.pk).update(
        outcome=outcome,
        prompt_tokens=calls.prompt_tokens,
        completion_tokens=calls.completion_tokens,
        calls=calls.count,
        latency_ms=calls.latency_ms,
        finished_at=timezone.now(),
    )


def expire_if_stale(request: AssistantRequest) -> None:
    """A request still waiting long after it was made (no worker took it), or still running
    past the task's hard time limit (its worker was killed), ends as failed, so the page
    stops polling with an answer. Idempotent: a conditional UPDATE, only one caller wins."""
    age = (timezone.now() - request.created_at).total_seconds()
    if request.outcome == Outcome.PENDING and age >= PENDING_FOR_AT_MOST:
        message = _("The request was not taken up. Try again.")
    elif request.outcome == Outcome.RUNNING and age >= running_for_at_most():
        message = _("The request was interrupted. Try again.")
    else:
        return
    changed = AssistantRequest.objects.filter(pk=request.pk, outcome=request.outcome).update(
        outcome=Outcome.FAILED, finished_at=timezone.now()
    )
    if changed:
        jobs.put_result(request.pk, {"error": message})
        request.outcome = Outcome.FAILED


@transaction.atomic
def set_monthly_budget(*, actor: User, tokens: int) -> bool:
    """Change the organisation's monthly token budget (admins); records an
    ORGANISATION_UPDATED event. Returns whether it changed."""
    if not actor.is_admin:
        raise PermissionDenied
    organisation = Organisation.objects.select_for_update().get(pk=Organisation.SINGLETON_ID)
    old = organisation.assistant_monthly_tokens
    if old == tokens:
        return False
    organisation.assistant_monthly_tokens = tokens
    organisation.save(update_fields=["assistant_monthly_tokens", "updated_at"])
    AccountEvent.objects.create(
        kind=AccountEvent.Kind.ORGANISATION_UPDATED,
        actor=actor,
        data={"assistant_monthly_tokens": [old, tokens]},
    )
    return True


# --- The features ------------------------------------------------------------------------


def _campaign_draft(
    request: AssistantRequest, payload: dict[str, Any], calls: _Calls
) -> tuple[dict[str, Any], str]:
    from campaigns.models import Campaign

    campaign = Campaign.objects.select_related("inbox").filter(pk=payload["campaign_id"]).first()
    if campaign is None or campaign.inbox_id != request.inbox_id:
        raise Refused(_("That campaign no longer exists."))
    result = drafts.draft(payload, campaign, lambda messages: calls(messages, max_tokens=900))
    if not result["readable"]:
        raise Refused(_provider_message("bad_response"), Outcome.BAD_RESPONSE)
    ok = all(not variant["problems"] for variant in result["variants"])
    return {"kind": "drafts", **result}, Outcome.OK if ok else Outcome.REJECTED


def _conversation(request: AssistantRequest, payload: dict[str, Any]) -> Conversation:
    from inbox.access import rights_in

    conversation = (
        Conversation.objects.select_related("inbox", "contact")
        .filter(pk=payload["conversation_id"], inbox_id=request.inbox_id or 0)
        .first()
    )
    if conversation is None:
        raise Refused(_("That conversation no longer exists."))
    if request.user is None or not rights_in(request.user, conversation).is_member:
        raise PermissionDenied
    return conversation


def _clean_reply(text: str) -> str:
    text = (text or "").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def _rewrite(
    request: AssistantRequest, payload: dict[str, Any], calls: _Calls
) -> tuple[dict[str, Any], str]:
    from assistant import checks

    conversation = _conversation(request, payload)
    original = payload["text"]
    masked = _masked(conversation, original)
    messages = prompts.reply_messages(
        masked.text,
        operation=payload["operation"],
        tone=payload.get("tone", "friendly"),
        language=payload.get("language", "en"),
    )
    completion = calls(
        messages, max_tokens=1200, temperature=0.3, stream=True, progress=calls.progress
    )
    answer = _clean_reply(completion.text)
    if not answer:
        raise Refused(_provider_message("bad_response"), Outcome.BAD_RESPONSE)
    problems = checks.reply_problems(
        answer,
        original=original,
        placeholders=masked.placeholders,
        operation=payload["operation"],
        language=payload.get("language", "en"),
    )
    result = {
        "kind": "rewrite",
        "text": masking.unmask(answer, masked.placeholders),
        "problems": problems,
        "operation": payload["operation"],
        # The "Replace the reply text" button names the reply box by it (reply-body-<id>).
        "conversation_id": conversation.pk,
    }
    return result, Outcome.REJECTED if problems else Outcome.OK


def _masked(conversation: Conversation, text: str) -> masking.Masked:
    """`text` with phone numbers, addresses, IBANs and the contact's name masked when the
    inbox says so (its campaign settings), else as it is."""
    if not masks_personal_data(conversation.inbox):
        return masking.Masked(text)
    contact = conversation.contact
    names = (contact.first_name, contact.last_name) if contact is not None else ()
    return masking.mask(text, names=names)


def transcript_of(conversation: Conversation) -> str:
    from inbox.models import Direction, Message

    messages = list(
        Message.objects.filter(conversation=conversation).order_by("-created_at", "-id")[
            :TRANSCRIPT_MESSAGES
        ]
    )
    lines = []
    for message in reversed(messages):
        who = "Customer" if message.direction == Direction.INBOUND else "Agent"
        lines.append(f"{who} ({message.created_at:%Y-%m-%d %H:%M}): {message.body.strip()}")
    text = "\n".join(lines)
    return text[-TRANSCRIPT_CHARACTERS:]


def _summary(
    request: AssistantRequest, payload: dict[str, Any], calls: _Calls
) -> tuple[dict[str, Any], str]:
    from inbox.actions import add_comment

    conversation = _conversation(request, payload)
    transcript = transcript_of(conversation)
    if not transcript.strip():
        raise Refused(_("There is nothing to summarise yet."), Outcome.FAILED)
    masked = _masked(conversation, transcript)
    user = request.user
    assert user is not None  # checked by _conversation
    completion = calls(
        prompts.summary_messages(masked.text, language=user.language or "en"),
        max_tokens=500,
        temperature=0.2,
        stream=True,
        progress=calls.progress,
    )
    # The comment is internal: the agents may read there what the conversation shows them.
    summary = masking.unmask(_clean_reply(completion.text), masked.placeholders)
    if not summary:
        raise Refused(_provider_message("bad_response"), Outcome.BAD_RESPONSE)
    header = _("Summary by the message assistant, on behalf of %(name)s:") % {
        "name": user.display_name or user.email
    }
    comment = add_comment(conversation, body=f"{header}\n{summary}", actor=user)
    return {
        "kind": "summary",
        "comment_id": comment.pk,
        "conversation_id": conversation.pk,
    }, Outcome.OK


FEATURES: dict[
    str, Callable[[AssistantRequest, dict[str, Any], _Calls], tuple[dict[str, Any], str]]
] = {
    Feature.CAMPAIGN_DRAFT: _campaign_draft,
    Feature.REWRITE: _rewrite,
    Feature.SUMMARY: _summary,
}
