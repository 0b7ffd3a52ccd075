"""manage.py check_providers: are the providers configured, do their credentials work, and
do the webhook URLs answer as configured? Exits 1 when something needs fixing."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from inbox.models import Channel, InboxChannel
from operations import providers

MAX_CHANNELS_LISTED = 50


class Command(BaseCommand):
    help = _(
        "Check the SMS, WhatsApp and e-mail providers: which backend is configured, whether "
        "its credentials are set (never shown) and work (Twilio: the account is fetched; "
        "SMTP: a connection is opened, nothing is sent), PUBLIC_BASE_URL (https in "
        "production, resolvable, /healthz answering) and the webhook URLs to enter at the "
        "providers. Exits with status 1 when a check fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--offline",
            action="store_true",
            help=_("Only read the settings; ask no provider and resolve no host."),
        )

    def handle(self, *args: Any, offline: bool = False, **options: Any) -> None:
        self.problems: list[str] = []
        config = providers.configuration()
        self._backend(_("SMS and WhatsApp"), config.sms)
        if config.sms.name == "twilio" and config.sms.credentials_set and not offline:
            self._result(providers.check_twilio())
        self._backend(_("E-mail"), config.email)
        if (
            config.email.name.endswith("smtp.EmailBackend")
            and config.email.credentials_set
            and not offline
        ):
            self._result(providers.check_smtp())
        self.stdout.write(f"PUBLIC_BASE_URL: {config.public_base_url}")
        for problem in config.public_url_problems:
            self._fail(problem)
        if not offline:
            self._result(providers.check_public_url())
        self.stdout.write(_("Webhook URLs (enter them at the provider):"))
        if not config.webhooks:
            self.stdout.write("  " + _("none: no provider that sends webhooks is configured"))
        for webhook in config.webhooks:
            self.stdout.write(f"  {webhook.label}\n    {webhook.url}")
            for note in webhook.notes:
                self.stdout.write(f"    {note}")
        self._channels(config)
        if self.problems:
            raise CommandError(
                _("%(n)s problem(s) found: %(list)s")
                % {"n": len(self.problems), "list": "; ".join(self.problems)}
            )
        self.stdout.write(self.style.SUCCESS(_("All checks passed.")))

    def _backend(self, label: str, backend: providers.Backend) -> None:
        self.stdout.write(f"{label}: {backend.name}")
        for name, present in backend.credentials.items():
            if present:
                self.stdout.write(f"  {name}: " + _("set"))
            else:
                self._fail(_("%(name)s is not set") % {"name": name})
        if backend.development_only:
            line = _("  a development backend: nothing is really sent")
            if settings.DEBUG:
                self.stdout.write(line)
            else:
                self._fail(_("%(name)s sends nothing in production") % {"name": backend.name})

    def _channels(self, config: providers.Configuration) -> None:
        channels = list(
            InboxChannel.objects.select_related("inbox").order_by("kind", "address")[
                : MAX_CHANNELS_LISTED + 1
            ]
        )
        self.stdout.write(_("Numbers and addresses of the inboxes:"))
        if not channels:
            self.stdout.write("  " + _("none yet (Settings → Inboxes → an inbox → Channels)"))
        for channel in channels[:MAX_CHANNELS_LISTED]:
            self.stdout.write(
                f"  {channel.get_kind_display()} {channel.address} → "
                f"{channel.inbox.name} (id {channel.inbox_id})"
            )
        if len(channels) > MAX_CHANNELS_LISTED:
            self.stdout.write("  …")
        kinds = {channel.kind for channel in channels}
        if kinds & {Channel.SMS, Channel.WHATSAPP} and config.sms.development_only:
            message = _("inboxes have SMS or WhatsApp numbers, but SMS_BACKEND=%(b)s") % {
                "b": config.sms.name
            }
            if settings.DEBUG:
                self.stdout.write("  " + message)
            else:
                self._fail(message)
        if Channel.EMAIL in kinds and not providers.esp_name():
            self.stdout.write(
                "  "
                + _(
                    "inboxes have e-mail addresses: inbound e-mail needs an anymail backend "
                    "(EMAIL_BACKEND=anymail.backends.<esp>.EmailBackend) and its webhook"
                )
            )

    def _result(self, result: providers.Result) -> None:
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"  ✓ {result.detail}"))
        else:
            self._fail(result.detail)

    def _fail(self, problem: str) -> None:
        self.problems.append(problem)
        self.stdout.write(self.style.ERROR(f"  ✗ {problem}"))
