"""The content of a request in flight, kept only in the cache and only for JOB_SECONDS: the
inputs the view took (the task reads them once), the characters streamed so far, and the
answer the page polls for. The database row (AssistantRequest) never holds any of it.

The cache is Redis in production. Redis down must not turn a page into an error: storing a
request's inputs raises StoreUnavailable (the view says so and nothing is recorded), while
progress and answers are best effort — the page falls back to the row's outcome."""

import logging
from typing import Any

from django.core.cache import cache

JOB_SECONDS = 15 * 60
logger = logging.getLogger("switchboard.assistant")


class StoreUnavailable(Exception):
    """The cache (Redis) cannot be reached."""


def _key(kind: str, request_id: int) -> str:
    return f"assistant:job:{request_id}:{kind}"


def put_input(request_id: int, payload: dict[str, Any]) -> None:
    try:
        cache.set(_key("input", request_id), payload, timeout=JOB_SECONDS)
    except Exception as exc:
        raise StoreUnavailable(str(exc)) from exc


def take_input(request_id: int) -> dict[str, Any] | None:
    try:
        payload = cache.get(_key("input", request_id))
        cache.delete(_key("input", request_id))
    except Exception as exc:
        raise StoreUnavailable(str(exc)) from exc
    return payload


def put_progress(request_id: int, characters: int) -> None:
    try:
        cache.set(_key("progress", request_id), characters, timeout=JOB_SECONDS)
    except Exception:  # progress is a courtesy; the request goes on without it
        logger.warning("assistant progress not stored", extra={"request_id": request_id})


def progress(request_id: int) -> int:
    try:
        return int(cache.get(_key("progress", request_id)) or 0)
    except Exception:
        return 0


def put_result(request_id: int, result: dict[str, Any]) -> None:
    try:
        cache.set(_key("result", request_id), result, timeout=JOB_SECONDS)
    except Exception:  # the page falls back to the outcome recorded on the row
        logger.warning("assistant answer not stored", extra={"request_id": request_id})


def result(request_id: int) -> dict[str, Any] | None:
    try:
        return cache.get(_key("result", request_id))
    except Exception:
        return None
