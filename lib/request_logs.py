"""One log line per request and per task, through django-structlog.

django-structlog's RequestMiddleware binds a request id (and the user id) for everything
logged during the request and writes `request_finished`; its Celery receivers carry the
bound ids into the tasks a request enqueues and write `task_succeeded` / `task_failed`. The
receivers here shape those lines: the route name instead of the path (paths carry ids and
tokens, query strings carry search terms), the duration, the number of database queries,
the task's name and queue — and no user agent or address.

`RequestLogMiddleware` sits right inside django-structlog's: it counts the queries, answers
the request id in `X-Request-ID` and its own time in `Server-Timing`.
"""

import re
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import structlog
from django.db import connections
from django.http import HttpRequest, HttpResponse

# An upstream request id (from a proxy) is kept when it looks like one; anything else (too
# long, with spaces or markup) is replaced by our own.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def route_name(request: HttpRequest) -> str | None:
    """The URL pattern's name (`inbox:conversation`), None before or without a match."""
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else None


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context):
        self.count += 1
        return execute(sql, params, many, context)


class RequestLogMiddleware:
    """Count the request's database queries and return the request id to the client."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        counter = _QueryCounter()
        with ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(counter))
            try:
                response = self.get_response(request)
            finally:
                request._log_queries = counter.count  # type: ignore[attr-defined]
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id:
            response["X-Request-ID"] = request_id
        # The application's own time (the browser's developer tools show it; the benchmarks
        # read it as server time): everything inside this middleware, views and templates.
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response


def _duration_ms(request: HttpRequest) -> float | None:
    started = getattr(request, "_log_started", None)
    return round((time.perf_counter() - started) * 1000, 1) if started else None


def on_request_started(request: HttpRequest, log_kwargs: dict[str, Any], **kwargs: Any) -> None:
    request._log_started = time.perf_counter()  # type: ignore[attr-defined]
    upstream = structlog.contextvars.get_contextvars().get("request_id", "")
    if not REQUEST_ID.match(str(upstream)):
        structlog.contextvars.bind_contextvars(request_id=str(uuid.uuid4()))
    log_kwargs.pop("user_agent", None)
    log_kwargs["request"] = request.method


def on_request_finished(
    request: HttpRequest, response: HttpResponse, log_kwargs: dict[str, Any], **kwargs: Any
) -> None:
    log_kwargs.pop("request", None)
    log_kwargs.update(
        method=request.method,
        route=route_name(request),
        status=log_kwargs.pop("code", response.status_code),
        duration_ms=_duration_ms(request),
        db_queries=getattr(request, "_log_queries", None),
    )


def on_request_failed(request: HttpRequest, log_kwargs: dict[str, Any], **kwargs: Any) -> None:
    log_kwargs.pop("request", None)
    log_kwargs.update(
        method=request.method,
        route=route_name(request),
        status=log_kwargs.pop("code", 500),
        duration_ms=_duration_ms(request),
    )


def workload_of(queue: str | None) -> str:
    """The workload (`send`) of a queue's name (`<CELERY_QUEUE>.send`); `inline` for a task
    run in-process (no broker)."""
    from django.conf import settings

    if not queue:
        return "inline"
    for workload, name in settings.CELERY_WORKLOAD_QUEUES.items():
        if name == queue:
            return workload
    return queue


def task_queue(task: Any) -> str:
    info = getattr(task.request, "delivery_info", None) or {}
    return workload_of(info.get("routing_key") or info.get("queue"))


def on_task_started(task: Any, **kwargs: Any) -> None:
    structlog.contextvars.bind_contextvars(task=task.name, queue=task_queue(task))


def on_task_publish(context: dict[str, Any], **kwargs: Any) -> None:
    """Only ids travel with a task; the rest of the request's context stays behind."""
    keep = {"request_id", "user_id", "parent_task_id", "correlation_id"}
    for key in list(context):
        if key not in keep:
            del context[key]


def connect() -> None:
    """Called once from LibConfig.ready."""
    from django_structlog import signals
    from django_structlog.celery import signals as celery_signals

    signals.bind_extra_request_metadata.connect(on_request_started, dispatch_uid="sb-log-start")
    signals.bind_extra_request_finished_metadata.connect(
        on_request_finished, dispatch_uid="sb-log-finished"
    )
    signals.bind_extra_request_failed_metadata.connect(
        on_request_failed, dispatch_uid="sb-log-failed"
    )
    celery_signals.bind_extra_task_metadata.connect(on_task_started, dispatch_uid="sb-log-task")
    celery_signals.modify_context_before_task_publish.connect(
        on_task_publish, dispatch_uid="sb-log-publish"
    )
