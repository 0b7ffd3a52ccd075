"""manage.py send_test_sms: one SMS (or WhatsApp message) through the configured provider,
outside any conversation; prints the provider's id or its error."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from contacts.identities import normalise_phone
from inbox.channels import DeliveryError, provider_for
from inbox.models import Channel, InboxChannel
from operations.access import NotFound, operator_inbox
from operations.providers import describe_failure


class Command(BaseCommand):
    help = _(
        "Send one test SMS (or, with --whatsapp, a WhatsApp message) through the provider "
        "SMS_BACKEND names, the way replies and campaigns are sent, and print the provider's "
        "message id or its error. The sender is --from, or the first number of --inbox, or "
        "the first number of any inbox. Nothing is stored in a conversation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", required=True, help=_("The recipient, e.g. +4917012345678."))
        sender = parser.add_mutually_exclusive_group()
        sender.add_argument("--inbox", type=int, help=_("Send from this inbox's first number."))
        sender.add_argument("--from", dest="from_", help=_("Send from this number of ours."))
        parser.add_argument("--whatsapp", action="store_true", help=_("Send on WhatsApp."))
        parser.add_argument("--text", default="", help=_("The text (default: a test message)."))

    def handle(self, *args: Any, **options: Any) -> None:
        channel = Channel.WHATSAPP if options["whatsapp"] else Channel.SMS
        try:
            to = normalise_phone(options["to"])
        except ValidationError as invalid:
            raise CommandError(" ".join(invalid.messages)) from invalid
        sender = self._sender(channel, options["inbox"], options["from_"])
        body = options["text"].strip() or _(
            "Test message from %(company)s's Switchboard, %(time)s."
        ) % {
            "company": Organisation.load().name,
            "time": timezone.now().strftime("%Y-%m-%d %H:%M UTC"),
        }
        # A callback without a recipient: the campaigns' status webhook answers and ignores it.
        callback = f"{settings.PUBLIC_BASE_URL}{reverse('campaign_webhooks:twilio_status')}"
        self.stdout.write(
            _("Sending via %(backend)s from %(sender)s to %(to)s …")
            % {"backend": settings.SMS_BACKEND, "sender": sender, "to": to}
        )
        try:
            result = provider_for(channel).send_text(
                channel, to=to, from_=sender, body=body, status_callback=callback
            )
        except DeliveryError as error:
            raise CommandError(describe_failure(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                _("Sent. Provider %(provider)s, message id %(id)s")
                % {"provider": result.provider, "id": result.provider_message_id}
            )
        )

    def _sender(self, channel: str, inbox_id: int | None, number: str | None) -> str:
        if number:
            try:
                number = normalise_phone(number)
            except ValidationError as invalid:
                raise CommandError(" ".join(invalid.messages)) from invalid
            if not InboxChannel.objects.filter(kind=channel, address=number).exists():
                self.stdout.write(
                    _("Note: %(number)s is no inbox's number; answers to it land nowhere.")
                    % {"number": number}
                )
            return number
        if inbox_id is not None:
            try:
                inbox = operator_inbox(inbox_id)
            except NotFound as missing:
                raise CommandError(missing.message) from missing
            own = InboxChannel.objects.sender_for(inbox.pk, channel)
            if own is None:
                raise CommandError(
                    _("The inbox %(inbox)s has no %(channel)s number.")
                    % {"inbox": inbox.name, "channel": channel}
                )
            return own.address
        first = InboxChannel.objects.filter(kind=channel).order_by("id").first()
        if first is None:
            raise CommandError(
                _("No inbox has a %(channel)s number: give one with --from.") % {"channel": channel}
            )
        return first.address
