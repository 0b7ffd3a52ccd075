"""Structured logs: one JSON object a line in production, readable lines in development.

Everything goes through the standard library's logging — `logging.getLogger(...)` calls,
Django's and Celery's own loggers, and structlog's loggers (django-structlog's request and
task lines) — and is rendered by one `structlog.stdlib.ProcessorFormatter`, so every line
has the same shape and carries the request id bound for the request or task.

Logs outlive a contact's erasure, so no line may carry personal data: `scrub_personal_data`
drops keys that hold it (IP address, user agent, e-mail, phone, message text, query strings,
tokens) and masks what looks like an e-mail address, a phone number or a query string in any
remaining text. Nothing here imports Django: settings.py builds LOGGING from it.
"""

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

# Keys never written, whatever logged them (django-structlog binds `ip` and logs
# `user_agent`; a careless `extra=` may add the others).
PERSONAL_KEYS = frozenset(
    {
        "ip",
        # django.request's `extra`: the WSGIRequest, whose repr is the full URL with its query
        # string (the request line already names the route).
        "request",
        "ip_address",
        "remote_addr",
        "client_ip",
        "user_agent",
        "email",
        "e_mail",
        "phone",
        "phone_number",
        "address",
        "to",
        "recipient",
        "recipients",
        "body",
        "text",
        "html",
        "password",
        "token",
        "cookie",
        "cookies",
        "authorization",
        "query_string",
        "query",
        "q",
    }
)
# Identifiers are random or numeric, never personal: left as they are.
ID_KEYS = frozenset({"request_id", "task_id", "parent_task_id", "correlation_id", "timestamp"})

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A phone number starts with +, 00 or 0 and has 7 to 16 digits, maybe grouped by spaces,
# dashes, slashes, dots or brackets. Numbers that start otherwise (ids, counts, durations,
# the hex groups of a uuid) are left alone.
PHONE = re.compile(r"(?<![\w-])(?:\+|0)\d(?:[ ./()-]?\d){5,15}(?![\w-])")
# `?` then anything up to white space or a quote: the query string of a path or URL.
QUERY = re.compile(r"(?<=[\w/])\?[^\s\"'<>]+")


def mask_text(text: str) -> str:
    """`text` with e-mail addresses, phone numbers and query strings replaced."""
    text = EMAIL.sub("[email]", text)
    text = QUERY.sub("?[query]", text)
    return PHONE.sub("[phone]", text)


def _scrubbed(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if depth > 3:
        return value
    if isinstance(value, Mapping):
        return {
            key: _scrubbed(item, depth + 1)
            for key, item in value.items()
            if str(key).lower() not in PERSONAL_KEYS
        }
    if isinstance(value, list | tuple):
        return [_scrubbed(item, depth + 1) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    # Any other object would be rendered by its repr, which may carry a URL or an address.
    return mask_text(str(value))


def scrub_personal_data(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: drop personal keys, mask personal-looking text."""
    for key in list(event_dict):
        if key.lower() in PERSONAL_KEYS:
            del event_dict[key]
        elif key not in ID_KEYS:
            event_dict[key] = _scrubbed(event_dict[key])
    return event_dict


TASK_OUTCOMES = {
    "task_succeeded": "success",
    "task_failed": "failure",
    "task_retrying": "retry",
    "task_revoked": "revoked",
    "task_rejected": "rejected",
    "task_not_found": "unknown_task",
}


def add_task_outcome(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """django-structlog names a task's end in the event; `outcome` says it in one word."""
    outcome = TASK_OUTCOMES.get(str(event_dict.get("event")))
    if outcome:
        event_dict.setdefault("outcome", outcome)
    return event_dict


# Run for structlog's own loggers before they hand over to logging, and for records of
# plain logging loggers (`foreign_pre_chain`, with their `extra=` keys), so both carry the
# same keys.
_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    add_task_outcome,
]
_FOREIGN_PRE_CHAIN: list[Any] = [*_SHARED, structlog.stdlib.ExtraAdder()]


def configure_structlog() -> None:
    """structlog's loggers hand their events to the standard library's logging."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _formatter(renderer: Any) -> dict[str, Any]:
    return {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": _FOREIGN_PRE_CHAIN,
        # Last, for every record: tracebacks become text, then the whole event is scrubbed
        # (an exception's message may quote a customer's address), then rendered.
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            scrub_personal_data,
            renderer,
        ],
    }


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """The LOGGING dict: `json` (production) or `console` (development) to stderr."""
    renderer = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    quiet = {"level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": _formatter(renderer)},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "axes": quiet,
            # The twilio library logs every request's headers at INFO.
            "twilio.http_client": quiet,
            # Both log the path of every 4xx (with ids and tokens); the request line of
            # django_structlog says the same with the route name. Errors still come through.
            "django.request": {"level": "ERROR"},
            "django.server": quiet,
            # "Task … received" and "… succeeded in": task_succeeded says it in one line.
            "celery.worker.strategy": quiet,
            "celery.app.trace": quiet,
        },
    }


FORMATS = {"json", "console"}
