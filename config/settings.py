"""Switchboard settings: every deployment difference comes from the environment. This file,
with its parts config/env.py (reading values), config/queues.py (Celery queues, routes and
beat) and config/observability.py (logs, Sentry, metrics, rate limits).

A value that cannot be parsed stops the process at import with a message that names the
variable and says what it expected, so a typo never turns into a half-working server.
See `.env.example` and the configuration table in README.md for every variable.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config import queues
from config.env import env, read, strict_bool
from config.observability import (  # noqa: F401 - settings Django reads
    BEHIND_PROXY,
    CSP_REPORT_RATE_LIMIT,
    DJANGO_STRUCTLOG_CELERY_ENABLED,
    DJANGO_STRUCTLOG_CELERY_TASK_START_LOG_LEVEL,
    DJANGO_STRUCTLOG_IP_LOGGING_ENABLED,
    DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL,
    DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID,
    LOG_FORMAT,
    LOG_LEVEL,
    LOGGING,
    LOGIN_IP_RATE_LIMIT,
    METRICS_TOKEN,
    RATE_LIMIT_NAMESPACE,
    SEARCH_RATE_LIMIT,
    SENTRY_DSN,
    SENTRY_ENVIRONMENT,
    SENTRY_TRACES_SAMPLE_RATE,
)
from config.uploads import REPLY_ATTACHMENT_LIMITS, REPLY_MEDIA_LINK_MAX_AGE  # noqa: F401
from config.webchat import WEBCHAT_AWAY_AFTER, WEBCHAT_RATE_LIMIT  # noqa: F401

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
_read, _strict_bool = read, strict_bool

DEBUG = _read("DEBUG", _strict_bool, False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), or set DEBUG=true "
            "for local development."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105 - only with DEBUG on

ALLOWED_HOSTS = _read("ALLOWED_HOSTS", env.list, ["127.0.0.1", "localhost", "[::1]"])

PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
_public = urlsplit(PUBLIC_BASE_URL)
if _public.scheme not in {"http", "https"} or not _public.netloc:
    raise ImproperlyConfigured(
        f"PUBLIC_BASE_URL must be an absolute http(s) URL such as https://support.example.com, "
        f"got {PUBLIC_BASE_URL!r}."
    )
CSRF_TRUSTED_ORIGINS = [f"{_public.scheme}://{_public.netloc}"]

# --- Applications ---------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "anymail",
    "django_structlog",
    "lib",
    "accounts",
    "contacts",
    "inbox",
    "campaigns",
    "surveys",
    "assistant",
    "webhooks",  # outbound webhooks (Standard Webhooks): endpoints, outbox, delivery
    "journey",  # visitors' page views (issue 14); before webchat: its erasure sees visitors
    "api",  # the REST API (django-ninja) and its tokens, Settings → API
    "webchat",  # the web chat widget: Settings → Web chat, the public pages under /w/
    "ninja",  # django-ninja's Swagger UI files for /api/docs
    "operations",  # operator commands, Settings → System, read-only Django admin (last app)
    "demo",  # seed_demo only: no models, and it refuses to run without DEBUG
]

MIDDLEWARE = [
    # Metrics and the request's log line (lib/request_logs.py) see every request first.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "lib.request_logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "lib.memo.RequestMemoMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lib.csp_reports.ReportingEndpointsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "lib.middleware.HtmxResponseMiddleware",
    "axes.middleware.AxesMiddleware",
    "lib.metrics_middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "accounts.context_processors.workspace",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
_default_database_url = f"sqlite:///{VAR_DIR / 'switchboard.sqlite3'}"
DATABASE_URL = env.str("DATABASE_URL", default=_default_database_url)
_db_scheme = urlsplit(DATABASE_URL).scheme
if _db_scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with postgres:// (or postgresql://) or sqlite:///, "
        f"got a URL with scheme {_db_scheme!r}. "
        f"Example: postgres://postgres@127.0.0.1:5432/switchboard"
    )
try:
    _database = env.db_url_config(DATABASE_URL)
except (ValueError, ImproperlyConfigured) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not valid: {exc}") from exc
if _db_scheme != "sqlite" and not _database.get("NAME"):
    raise ImproperlyConfigured(
        "DATABASE_URL names no database; add one after the host, e.g. /switchboard."
    )

if _database["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool keeps connections warm per process; CONN_MAX_AGE must stay 0 with it.
    _database["CONN_MAX_AGE"] = 0
    _database.setdefault("OPTIONS", {})["pool"] = {
        "min_size": _read("DATABASE_POOL_MIN_SIZE", env.int, 1),
        "max_size": _read("DATABASE_POOL_MAX_SIZE", env.int, 10),
        "timeout": 10,
    }
    # Behind PgBouncer in transaction mode a server connection changes between transactions:
    # no server-side cursors, and no prepared statements kept by name on one connection.
    if _read("DATABASE_PGBOUNCER", _strict_bool, False):
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
        _database["OPTIONS"]["prepare_threshold"] = None
else:
    # SQLite: wait for a writer instead of failing; INCLUDE columns are PostgreSQL's (W040).
    _database.setdefault("OPTIONS", {})["timeout"] = 20
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DATABASES = {"default": _database}
# A read replica for search and exports (lib/replica.py), same pool; tests mirror the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    if urlsplit(DATABASE_REPLICA_URL).scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a postgres:// URL.")
    _replica = env.db_url_config(DATABASE_REPLICA_URL)
    _replica["CONN_MAX_AGE"] = 0
    _replica["OPTIONS"] = {**_database.get("OPTIONS", {})}
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery ----------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and urlsplit(REDIS_URL).scheme not in {"redis", "rediss"}:
    raise ImproperlyConfigured(
        f"REDIS_URL must start with redis:// or rediss://, got {REDIS_URL!r}. "
        f"Example: redis://127.0.0.1:6379/0"
    )

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "lib.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "switchboard",
            # Redis down must not hang a request: the callers fall back (sessions to the
            # database, the live poll to a full check) within half a second.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The database is the record and Redis only the doorbell (DESIGN.md §6): tasks take ids, claim
# their rows, and may run twice. Without REDIS_URL, tasks run in-process right after commit.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task runs at most 5 minutes (hard limit); Redis redelivers an unacknowledged task after the
# visibility timeout. At 1 hour it is far above any task's run time, so a slow task is never
# handed to a second worker while the first still runs, and a task lost with its worker
# comes back within the hour (the sweepers catch anything sooner).
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _read("CELERY_VISIBILITY_TIMEOUT", env.int, 3600),
    "socket_connect_timeout": 3,
}
# Publishing while Redis is down gives up within about a second: the row is committed and the
# sweeper publishes it later, so a reply never hangs on the broker.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues per workload and their routes (config/queues.py); CELERY_QUEUE prefixes every name.
_queue_prefix = env.str("CELERY_QUEUE", default="")
CELERY_WORKLOAD_QUEUES = queues.workload_queues(_queue_prefix)
CELERY_TASK_QUEUES = queues.kombu_queues(CELERY_WORKLOAD_QUEUES)
CELERY_TASK_DEFAULT_QUEUE = CELERY_WORKLOAD_QUEUES["realtime"]
CELERY_TASK_ROUTES = queues.task_routes(CELERY_WORKLOAD_QUEUES)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "config.beat:HeartbeatScheduler"  # with heartbeats (config/beat.py)
CELERY_BEAT_SCHEDULE = queues.BEAT_SCHEDULE

# An inbound event no inbox took (its number or address was not set up yet) is kept this many
# days for a replay (manage.py inbound_events), then deleted with the customer's text.
UNROUTED_INBOUND_RETENTION_DAYS = _read("UNROUTED_INBOUND_RETENTION_DAYS", env.int, 30)
# Days an import's CSV, preview rows and error report are kept (contacts.csv_import.retention).
CONTACT_IMPORT_RETENTION_DAYS = _read("CONTACT_IMPORT_RETENTION_DAYS", env.int, 7)
if CONTACT_IMPORT_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("CONTACT_IMPORT_RETENTION_DAYS must be 1 or more days.")
if UNROUTED_INBOUND_RETENTION_DAYS < 1:
    raise ImproperlyConfigured(
        f"UNROUTED_INBOUND_RETENTION_DAYS must be 1 or more days, "
        f"got {UNROUTED_INBOUND_RETENTION_DAYS}."
    )

# --- Authentication -------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Role rights first: they need no query; rights granted to one user come after.
    "accounts.permissions.RolePermissionBackend",
    "accounts.permissions.GrantedPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600  # invitations use the same token: three days to accept

# django-axes: 5 failed log-ins for one e-mail address from one IP address lock that pair
# out for 15 minutes; a successful log-in resets the count.
AXES_FAILURE_LIMIT = _read("AXES_FAILURE_LIMIT", env.int, 5)
AXES_COOLOFF_TIME = timedelta(minutes=_read("AXES_COOLOFF_MINUTES", env.int, 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False

SESSION_COOKIE_AGE = 14 * 24 * 3600
# Read from the cache, written through to the database (lib/sessions.py): no session query
# per request, and nothing lost when Redis restarts.
SESSION_ENGINE = "lib.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Security headers -----------------------------------------------------------------------

_https = _public.scheme == "https"
SECURE_SSL_REDIRECT = _read("SECURE_SSL_REDIRECT", _strict_bool, _https and not DEBUG)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", env.int, 31536000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
SECURE_HSTS_PRELOAD = _https
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _https else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

# No inline script or style anywhere: htmx 4 needs none, our code lives in static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
        # Violations are reported to lib.views.csp_report; `report-to` names the endpoint
        # of the Reporting-Endpoints header (lib.csp_reports).
        "report-uri": ["/csp-report"],
        "report-to": "csp-endpoint",
    }
}

# --- Internationalisation -------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German")), ("sv", _("Swedish"))]
# English dates day first with 24-hour times (config/formats/en); German and Swedish keep
# Django's own formats for their locales.
FORMAT_MODULE_PATH = ["config.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
DEFAULT_PHONE_REGION = env.str("DEFAULT_PHONE_REGION", default="DE").upper()
# An ephemeral contact (created for an unknown sender) is removed this many days after its
# last activity unless someone promoted it, linked it or it has a conversation.
EPHEMERAL_CONTACT_DAYS = _read("EPHEMERAL_CONTACT_DAYS", env.int, 30)
if DEFAULT_PHONE_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(
        f"DEFAULT_PHONE_REGION must be a two-letter region code such as DE or SE, "
        f"got {DEFAULT_PHONE_REGION!r}."
    )

# --- Static files ---------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# manage.py backup (lib/backups.py): where backups go, how long they are kept, and the
# passphrase that encrypts them at rest (keep it apart from the backups).
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(VAR_DIR / "backups")))
BACKUP_KEEP_DAYS = _read("BACKUP_KEEP_DAYS", env.int, 14)
BACKUP_ENCRYPTION_KEY = env.str("BACKUP_ENCRYPTION_KEY", default="")
# Media (attachments): MEDIA_ROOT's file system, or any S3-compatible store (MEDIA_STORAGE=s3).
# Private: served by the access-checked download, to Twilio by a signed, expiring link only.
MEDIA_STORAGE = _read("MEDIA_STORAGE", env.str, "filesystem")
if MEDIA_STORAGE not in {"filesystem", "s3"}:
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be filesystem or s3, got {MEDIA_STORAGE!r}.")
_media_storage: dict[str, Any] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if MEDIA_STORAGE == "s3":
    _bucket = env.str("AWS_STORAGE_BUCKET_NAME", default="")
    if not _bucket:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _bucket,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "location": env.str("AWS_LOCATION", default=""),
        },
    }
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- E-mail and SMS providers ---------------------------------------------------------------

# The development default prints headers with the recipients masked, never the text
# (lib.console_email): logs outlive a contact's erasure.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="lib.console_email.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = _read("EMAIL_PORT", env.int, 25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = _read("EMAIL_USE_TLS", _strict_bool, False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Switchboard <switchboard@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {
    "POSTMARK_SERVER_TOKEN": env.str("POSTMARK_SERVER_TOKEN", default=""),
    "MAILGUN_API_KEY": env.str("MAILGUN_API_KEY", default=""),
    "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
    "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default=""),
}

# Without a broker (make run on SQLite) an open campaign report runs the pacing tick itself.
CAMPAIGN_TICK_IN_REQUESTS = env.bool("CAMPAIGN_TICK_IN_REQUESTS", default=not REDIS_URL)
# The zone of campaign send windows for a recipient whose own zone is unknown.
CAMPAIGN_TIME_ZONE = env.str("CAMPAIGN_TIME_ZONE", default="Europe/Berlin")
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
if SMS_BACKEND not in {"console", "locmem", "twilio"}:
    raise ImproperlyConfigured(
        f"SMS_BACKEND must be one of console, locmem, twilio; got {SMS_BACKEND!r}."
    )
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="")
if SMS_BACKEND == "twilio" and not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN):
    raise ImproperlyConfigured("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.")

# The message assistant (issue 13): any OpenAI-compatible chat completions API, one model for
# every AI feature. Without LLM_BASE_URL the assistant is absent (its buttons are not shown
# and the settings say why).
LLM_BASE_URL = env.str("LLM_BASE_URL", default="").rstrip("/")
if LLM_BASE_URL and urlsplit(LLM_BASE_URL).scheme not in {"http", "https"}:
    raise ImproperlyConfigured(
        f"LLM_BASE_URL must be an http(s) URL such as https://api.openai.com/v1, "
        f"got {LLM_BASE_URL!r}."
    )
LLM_API_KEY = env.str("LLM_API_KEY", default="")
LLM_MODEL = env.str("LLM_MODEL", default="gpt-4o-mini")
LLM_TIMEOUT = _read("LLM_TIMEOUT", env.float, 20.0)
if not 1 <= LLM_TIMEOUT <= 120:
    raise ImproperlyConfigured(f"LLM_TIMEOUT must be 1 to 120 seconds, got {LLM_TIMEOUT}.")

# Outbound webhooks (the webhooks app): the time an endpoint has to answer, whether endpoint
# URLs may lead into private networks (development only: the SSRF guard, webhooks.ssrf),
# and how many days sent events stay in the delivery log.
WEBHOOKS_TIMEOUT = _read("WEBHOOKS_TIMEOUT", env.float, 15.0)
if not 0.1 <= WEBHOOKS_TIMEOUT <= 60:
    raise ImproperlyConfigured(
        f"WEBHOOKS_TIMEOUT must be 0.1 to 60 seconds, got {WEBHOOKS_TIMEOUT}."
    )
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = _read("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", _strict_bool, False)
WEBHOOKS_RETENTION_DAYS = _read("WEBHOOKS_RETENTION_DAYS", env.int, 30)
if WEBHOOKS_RETENTION_DAYS < 1:
    raise ImproperlyConfigured(
        f"WEBHOOKS_RETENTION_DAYS must be 1 or more days, got {WEBHOOKS_RETENTION_DAYS}."
    )

# --- Observability (config/observability.py, README "Observability") --------------------

# Behind the proxy, django-axes reads the client address like the rate limits do.
if BEHIND_PROXY:
    AXES_IPWARE_PROXY_COUNT = 0
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
