"""Settings for logs, Sentry, metrics and rate limits (README "Observability"), read from
the environment; config/settings.py imports them by name."""

import logging

import limits
from django.core.exceptions import ImproperlyConfigured

from config.env import env
from config.env import read as _read
from config.env import strict_bool as _strict_bool
from lib import structured_logs

DEBUG = _read("DEBUG", _strict_bool, False)
_queue_prefix = env.str("CELERY_QUEUE", default="")

# One JSON object a line in production, readable lines in development; no personal data in
# either (lib/structured_logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json").lower()
if LOG_FORMAT not in structured_logs.FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or console, got {LOG_FORMAT!r}.")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {LOG_LEVEL!r}."
    )
LOGGING = structured_logs.logging_config(LOG_FORMAT, LOG_LEVEL)
structured_logs.configure_structlog()
# django-structlog: one line per request (request_finished) and per task (task_succeeded,
# task_failed); the request id (an upstream X-Request-ID when it looks like one) travels
# into the tasks a request enqueues. No IP address.
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
DJANGO_STRUCTLOG_CELERY_TASK_START_LOG_LEVEL = logging.DEBUG

# Sentry, when SENTRY_DSN is set (lib/sentry.py scrubs personal data before sending).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production")
SENTRY_TRACES_SAMPLE_RATE = _read("SENTRY_TRACES_SAMPLE_RATE", env.float, 0.0)
if not 0 <= SENTRY_TRACES_SAMPLE_RATE <= 1:
    raise ImproperlyConfigured(
        f"SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1, got {SENTRY_TRACES_SAMPLE_RATE}."
    )
if SENTRY_DSN:
    from lib.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# /metrics answers Prometheus with `Authorization: Bearer <METRICS_TOKEN>`; without a token
# it does not exist (404). PROMETHEUS_MULTIPROC_DIR (read by prometheus_client itself) adds up
# the metrics of several processes.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")


# Rate limits (lib/ratelimit.py, shared through Redis): failed log-ins per client address
# across e-mail addresses (django-axes locks each address apart), searches and contact
# look-ups per user, CSP reports per client address.
def _rate(name, default):
    value = env.str(name, default=default)
    try:
        limits.parse(value)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 120/minute or 20/10 minutes, got {value!r}."
        ) from exc
    return value


LOGIN_IP_RATE_LIMIT = _rate("LOGIN_IP_RATE_LIMIT", "20/10 minutes")
SEARCH_RATE_LIMIT = _rate("SEARCH_RATE_LIMIT", "120/minute")
CSP_REPORT_RATE_LIMIT = _rate("CSP_REPORT_RATE_LIMIT", "30/minute")
RATE_LIMIT_NAMESPACE = f"switchboard.{_queue_prefix}" if _queue_prefix else "switchboard"
# Behind a reverse proxy (Caddy in docker-compose.yml) every request comes from the proxy's
# address: with BEHIND_PROXY=true the client's address is the one X-Forwarded-For entry the
# proxy writes (Caddy replaces what a client sends), for django-axes and the rate limits
# alike; a header with more entries than that is not believed. Off without a proxy: a client
# could send any X-Forwarded-For.
BEHIND_PROXY = _read("BEHIND_PROXY", _strict_bool, False)
