"""What the providers are configured as — which backend sends SMS and e-mail, whether their
credentials are set, the webhook URLs to enter at the provider — and, for `check_providers`,
whether they work. Secrets are never returned, only whether they are set.

`configuration()` reads settings alone (Settings → System shows it on every load);
`check_twilio`, `check_smtp` and `check_public_url` go over the network (the command only).
"""

import contextlib
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Backend:
    """One outbound path: `kind` is "sms" (SMS and WhatsApp) or "email"."""

    kind: str
    name: str
    credentials: dict[str, bool]  # setting name → set (never the value)
    development_only: bool = False

    @property
    def credentials_set(self) -> bool:
        return all(self.credentials.values())


@dataclass(frozen=True)
class Webhook:
    label: str
    url: str
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Configuration:
    sms: Backend
    email: Backend
    webhooks: list[Webhook]
    public_base_url: str
    public_url_problems: list[str]

    @property
    def backends(self) -> list[Backend]:
        return [self.sms, self.email]


def esp_name() -> str:
    """The anymail ESP of EMAIL_BACKEND (`postmark` for anymail.backends.postmark…), or ""."""
    parts = settings.EMAIL_BACKEND.split(".")
    if len(parts) >= 3 and parts[0] == "anymail" and parts[1] == "backends":
        return parts[2]
    return ""


def sms_backend() -> Backend:
    name = settings.SMS_BACKEND
    if name == "twilio":
        credentials = {
            "TWILIO_ACCOUNT_SID": bool(settings.TWILIO_ACCOUNT_SID),
            "TWILIO_AUTH_TOKEN": bool(settings.TWILIO_AUTH_TOKEN),
        }
        return Backend("sms", "twilio", credentials)
    return Backend("sms", name, {}, development_only=True)


def email_backend() -> Backend:
    path = settings.EMAIL_BACKEND
    esp = esp_name()
    if esp:
        prefix = f"{esp.upper()}_"
        anymail = getattr(settings, "ANYMAIL", {}) or {}
        credentials = {
            f"ANYMAIL[{key}]": bool(value)
            for key, value in anymail.items()
            if key.startswith(prefix) and not key.endswith("WEBHOOK_SIGNING_KEY")
        }
        if not credentials:
            credentials = {f"ANYMAIL[{prefix}…]": False}
        return Backend("email", path, credentials)
    if path.endswith("smtp.EmailBackend"):
        credentials = {"EMAIL_HOST": bool(settings.EMAIL_HOST)}
        if settings.EMAIL_HOST_USER or settings.EMAIL_HOST_PASSWORD:
            credentials["EMAIL_HOST_USER"] = bool(settings.EMAIL_HOST_USER)
            credentials["EMAIL_HOST_PASSWORD"] = bool(settings.EMAIL_HOST_PASSWORD)
        return Backend("email", path, credentials)
    development = any(word in path for word in ("console", "locmem", "filebased", "dummy"))
    return Backend("email", path, {}, development_only=development)


def _url(name: str, fallback: str) -> str:
    try:
        path = reverse(name)
    except NoReverseMatch:
        path = fallback
    return f"{settings.PUBLIC_BASE_URL}{path}"


def webhooks() -> list[Webhook]:
    """The URLs to enter at the providers, as this deployment answers them."""
    found = []
    if settings.SMS_BACKEND == "twilio":
        found.append(
            Webhook(
                _("Twilio: a message comes in (each number's Messaging webhook, POST)"),
                _url("webhooks:twilio_inbound", "/webhooks/twilio/"),
                [_("Signed with the auth token; checked against this exact URL.")],
            )
        )
        found.append(
            Webhook(
                _("Twilio: status callbacks (sent with every message, nothing to enter)"),
                _url("webhooks:twilio_status", "/webhooks/twilio/status/"),
            )
        )
    esp = esp_name()
    if esp:
        secret = bool((getattr(settings, "ANYMAIL", {}) or {}).get("WEBHOOK_SECRET"))
        notes = [
            _("Basic authentication: ANYMAIL_WEBHOOK_SECRET is set (user:password in the URL).")
            if secret
            else _("ANYMAIL_WEBHOOK_SECRET is not set: anymail refuses inbound e-mail without it.")
        ]
        found.append(
            Webhook(
                _("%(esp)s: inbound e-mail") % {"esp": esp},
                _url(f"anymail:{esp}_inbound_webhook", f"/anymail/{esp}/inbound/"),
                notes,
            )
        )
    return found


def public_url_problems() -> list[str]:
    """What is wrong with PUBLIC_BASE_URL without asking the network."""
    problems = []
    url = urlsplit(settings.PUBLIC_BASE_URL)
    if not settings.DEBUG and url.scheme != "https":
        problems.append(
            _("PUBLIC_BASE_URL is not https: providers post customers' messages in clear text.")
        )
    if url.hostname in {"127.0.0.1", "localhost", "::1"} and not settings.DEBUG:
        problems.append(_("PUBLIC_BASE_URL names this machine: no provider can reach it."))
    return problems


def configuration() -> Configuration:
    return Configuration(
        sms=sms_backend(),
        email=email_backend(),
        webhooks=webhooks(),
        public_base_url=settings.PUBLIC_BASE_URL,
        public_url_problems=public_url_problems(),
    )


# --- Over the network (check_providers) ----------------------------------------------------


@dataclass(frozen=True)
class Result:
    ok: bool
    detail: str


def check_twilio() -> Result:
    """Fetch the account with the configured credentials: a 401 means they are wrong."""
    from twilio.base.exceptions import TwilioRestException

    from inbox.channels.twilio.outbound import client

    try:
        account = client().api.v2010.accounts(settings.TWILIO_ACCOUNT_SID).fetch()
    except TwilioRestException as exc:
        if exc.status in {401, 403}:
            return Result(
                False, _("Twilio refused the credentials (HTTP %(s)s).") % {"s": exc.status}
            )
        return Result(
            False, _("Twilio answered HTTP %(s)s: %(m)s") % {"s": exc.status, "m": exc.msg}
        )
    except requests.RequestException as exc:
        return Result(False, _("Twilio could not be reached: %(e)s") % {"e": type(exc).__name__})
    status = getattr(account, "status", "") or "?"
    return Result(status == "active", _("Twilio account status: %(s)s") % {"s": status})


def check_smtp() -> Result:
    """Connect (and log in, when a user is set) to the SMTP server, sending nothing."""
    from django.core.mail import get_connection

    connection = get_connection(timeout=TIMEOUT_SECONDS)
    try:
        connection.open()
    except Exception as exc:
        return Result(
            False,
            _("The mail server %(host)s:%(port)s did not accept us: %(e)s")
            % {"host": settings.EMAIL_HOST, "port": settings.EMAIL_PORT, "e": exc},
        )
    with contextlib.suppress(Exception):  # the goodbye failing changes nothing
        connection.close()
    return Result(
        True,
        _("The mail server %(host)s:%(port)s accepted the connection.")
        % {"host": settings.EMAIL_HOST, "port": settings.EMAIL_PORT},
    )


def check_public_url() -> Result:
    """PUBLIC_BASE_URL's host resolves and its /healthz answers (as a provider would call)."""
    url = urlsplit(settings.PUBLIC_BASE_URL)
    host = url.hostname or ""
    try:
        socket.getaddrinfo(host, url.port or (443 if url.scheme == "https" else 80))
    except OSError:
        return Result(
            False, _("The host %(host)s of PUBLIC_BASE_URL does not resolve.") % {"host": host}
        )
    health = f"{settings.PUBLIC_BASE_URL}{reverse('healthz')}"
    try:
        response = requests.get(health, timeout=TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as exc:
        return Result(
            False,
            _("%(url)s could not be reached: %(e)s") % {"url": health, "e": type(exc).__name__},
        )
    if response.status_code != 200:
        return Result(
            False, _("%(url)s answered HTTP %(s)s.") % {"url": health, "s": response.status_code}
        )
    return Result(True, _("%(url)s answered 200.") % {"url": health})


def describe_failure(error: Exception) -> str:
    """A provider's refusal (inbox.channels' three failures) as a sentence for the operator."""
    from inbox.channels import DeliveryError, PermanentFailure, TransientFailure

    if isinstance(error, TransientFailure):
        kind = _("Not sent (temporary, worth trying again)")
    elif isinstance(error, PermanentFailure):
        kind = _("Refused")
    else:
        kind = _("Unknown whether it was sent")
    reason = error.reason if isinstance(error, DeliveryError) else str(error)
    code = f" [{error.code}]" if isinstance(error, DeliveryError) and error.code else ""
    return f"{kind}{code}: {reason or type(error).__name__}"
