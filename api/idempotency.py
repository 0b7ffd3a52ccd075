"""`Idempotency-Key` on POST (IETF draft "The Idempotency-Key HTTP Header Field").

The first request with a key claims it (a row, committed before the work starts); its answer
is stored when it is done. The same key again:
- with the same method, path and body: the stored answer, marked `Idempotency-Replayed: true`;
- with another request: 422 (the key was used for something else);
- while the first is still being worked on: 409.
Answers of 5xx are not kept (the client may retry); a claim left behind by a process that died
is taken over after ABANDONED_AFTER. Keys are kept IDEMPOTENCY_HOURS (api.tasks purges).
"""

import hashlib
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import IdempotencyRecord
from api.principal import ApiPrincipal
from api.problems import problem

IDEMPOTENCY_HOURS = 24
ABANDONED_AFTER = timedelta(minutes=5)
MAX_KEY_LENGTH = 255


def idempotency_key(request: HttpRequest) -> str | None:
    """The request's key (quotes of the structured-field form removed); None without one."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    return raw.strip().removeprefix('"').removesuffix('"')


def handle(
    request: HttpRequest, principal: ApiPrincipal, call: Callable[[], HttpResponse]
) -> HttpResponse:
    """Answer a request, through its Idempotency-Key when it is a POST with one."""
    key = idempotency_key(request) if request.method == "POST" else None
    if key is None:
        return call()
    if not key or len(key) > MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        return problem(
            request,
            400,
            "bad-request",
            _("An Idempotency-Key is 1 to 255 printable ASCII characters."),
        )
    asked = {
        "method": request.method or "POST",
        "path": request.path[:500],
        "body_sha256": hashlib.sha256(request.body).hexdigest(),
    }
    record, claimed = _claim(principal, key, asked)
    if not claimed:
        if not record.matches(**asked):
            return problem(
                request,
                422,
                "idempotency-key-reused",
                _("This Idempotency-Key was used for a different request. Use a new key."),
            )
        if record.completed_at is None:
            response = problem(
                request,
                409,
                "idempotency-key-in-use",
                _("The first request with this Idempotency-Key is not finished yet. Retry later."),
            )
            response["Retry-After"] = "1"
            return response
        return _replay(record)
    try:
        response = call()
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    if response.status_code >= 500:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
    else:
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            status=response.status_code,
            content_type=str(response.get("Content-Type", ""))[:100],
            response_body=bytes(response.content),
            completed_at=timezone.now(),
        )
    return response


def _claim(
    principal: ApiPrincipal, key: str, asked: dict[str, str]
) -> tuple[IdempotencyRecord, bool]:
    now = timezone.now()
    try:
        with transaction.atomic():
            return (
                IdempotencyRecord.objects.create(
                    token=principal.token, key=key, created_at=now, **asked
                ),
                True,
            )
    except IntegrityError:
        pass
    record = IdempotencyRecord.objects.get(token=principal.token, key=key)
    expired = record.created_at <= now - timedelta(hours=IDEMPOTENCY_HOURS)
    abandoned = record.completed_at is None and record.created_at <= now - ABANDONED_AFTER
    if expired or (abandoned and record.matches(**asked)):
        # Conditional on the row as read: of two takers, one wins.
        taken = IdempotencyRecord.objects.filter(pk=record.pk, created_at=record.created_at).update(
            created_at=now,
            status=None,
            content_type="",
            response_body=b"",
            completed_at=None,
            **asked,
        )
        if taken:
            record.refresh_from_db()
            return record, True
        record.refresh_from_db()
    return record, False


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body),
        status=record.status or 200,
        content_type=record.content_type or "application/json",
    )
    response["Idempotency-Replayed"] = "true"
    return response
