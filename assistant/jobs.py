"""The content of a request in flight, kept only in the cache and only for JOB_SECONDS: the
inputs the view took (the task reads them once), the characters streamed so far, and the
answer the page polls for. The database row (AssistantRequest) never holds any of it."""

from typing import Any

from django.core.cache import cache

JOB_SECONDS = 15 * 60


def _key(kind: str, request_id: int) -> str:
    return f"assistant:job:{request_id}:{kind}"


def put_input(request_id: int, payload: dict[str, Any]) -> None:
    cache.set(_key("input", request_id), payload, timeout=JOB_SECONDS)


def take_input(request_id: int) -> dict[str, Any] | None:
    payload = cache.get(_key("input", request_id))
    cache.delete(_key("input", request_id))
    return payload


def put_progress(request_id: int, characters: int) -> None:
    cache.set(_key("progress", request_id), characters, timeout=JOB_SECONDS)


def progress(request_id: int) -> int:
    return int(cache.get(_key("progress", request_id)) or 0)


def put_result(request_id: int, result: dict[str, Any]) -> None:
    cache.set(_key("result", request_id), result, timeout=JOB_SECONDS)


def result(request_id: int) -> dict[str, Any] | None:
    return cache.get(_key("result", request_id))
