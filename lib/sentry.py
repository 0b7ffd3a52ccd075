"""Optional error reporting to Sentry (SENTRY_DSN), without personal data.

sentry-sdk runs with `send_default_pii=False`, and `before_send` removes what it would still
send: request bodies, cookies, query strings, headers outside a short safe list, the user's
e-mail, name and IP address, and e-mail addresses or phone numbers in messages, exception
texts and breadcrumbs. Called from settings.py, so it runs in web and worker processes alike.
"""

from typing import Any

from lib.structured_logs import mask_text

SAFE_HEADERS = frozenset(
    {
        "accept",
        "accept-language",
        "content-length",
        "content-type",
        "host",
        "hx-request",
        "hx-request-type",
        "x-request-id",
    }
)


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return value


def _scrub_request(request: dict[str, Any]) -> None:
    for key in ("data", "cookies", "query_string", "env"):
        request.pop(key, None)
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {
            name: value for name, value in headers.items() if name.lower() in SAFE_HEADERS
        }
    if isinstance(request.get("url"), str):
        request["url"] = request["url"].split("?", 1)[0]


def before_send(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Strip personal data from an event before it leaves the process."""
    request = event.get("request")
    if isinstance(request, dict):
        _scrub_request(request)
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    if "message" in event:
        event["message"] = _mask(event["message"])
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry.pop("params", None)
        for key in ("message", "formatted"):
            if key in logentry:
                logentry[key] = _mask(logentry[key])
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception, dict) and "value" in exception:
            exception["value"] = _mask(exception["value"])
        # Local variables of each frame may hold anything a customer wrote.
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            if isinstance(frame, dict):
                frame.pop("vars", None)
    breadcrumbs = event.get("breadcrumbs")
    values = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else breadcrumbs
    for crumb in values or []:
        if isinstance(crumb, dict):
            if "message" in crumb:
                crumb["message"] = _mask(crumb["message"])
            crumb.pop("data", None)
    event.pop("extra", None)
    return event


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    """Start sentry-sdk with the Django and Celery integrations."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=before_send,  # type: ignore[arg-type]
        before_send_transaction=before_send,  # type: ignore[arg-type]
    )
