"""manage.py send_test_email: one e-mail through EMAIL_BACKEND, the way replies go out;
prints the Message-ID (and the service's id, for anymail) or the error."""

from email.headerregistry import Address
from email.utils import make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from contacts.identities import normalise_email
from inbox.channels import DeliveryError
from inbox.channels.email.outbound import hand_over
from inbox.models import Channel, InboxChannel
from operations.access import NotFound, operator_inbox
from operations.providers import describe_failure


class Command(BaseCommand):
    help = _(
        "Send one test e-mail through EMAIL_BACKEND (SMTP or an anymail service), the way "
        "replies are handed over, and print its Message-ID and the service's id, or the "
        "error. The sender is --from, or the first address of --inbox, or the first address "
        "of any inbox, or DEFAULT_FROM_EMAIL. Nothing is stored in a conversation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", required=True, help=_("The recipient's address."))
        sender = parser.add_mutually_exclusive_group()
        sender.add_argument("--inbox", type=int, help=_("Send from this inbox's first address."))
        sender.add_argument("--from", dest="from_", help=_("Send from this address."))
        parser.add_argument("--subject", default="", help=_("The subject (default: a test)."))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            to = normalise_email(options["to"])
        except ValidationError as invalid:
            raise CommandError(" ".join(invalid.messages)) from invalid
        sender = self._sender(options["inbox"], options["from_"])
        organisation = Organisation.load()
        domain = parseaddr(sender)[1].rpartition("@")[2] or "switchboard.invalid"
        message_id = make_msgid(idstring="sb-test", domain=domain)
        email = EmailMultiAlternatives(
            subject=options["subject"].strip() or _("Switchboard test e-mail"),
            body=_("A test e-mail from %(company)s's Switchboard, sent %(time)s.")
            % {
                "company": organisation.name,
                "time": timezone.now().strftime("%Y-%m-%d %H:%M UTC"),
            },
            from_email=sender,
            to=[to],
            headers={"Message-ID": message_id},
        )
        self.stdout.write(
            _("Sending via %(backend)s from %(sender)s to %(to)s …")
            % {"backend": settings.EMAIL_BACKEND, "sender": sender, "to": to}
        )
        try:
            hand_over(email)
        except DeliveryError as error:
            raise CommandError(describe_failure(error)) from error
        self.stdout.write(self.style.SUCCESS(_("Sent. Message-ID %(id)s") % {"id": message_id}))
        status = getattr(email, "anymail_status", None)
        if status is not None and getattr(status, "message_id", None):
            self.stdout.write(_("The e-mail service's id: %(id)s") % {"id": status.message_id})

    def _sender(self, inbox_id: int | None, address: str | None) -> str:
        if address:
            try:
                return normalise_email(address)
            except ValidationError as invalid:
                raise CommandError(" ".join(invalid.messages)) from invalid
        if inbox_id is not None:
            try:
                inbox = operator_inbox(inbox_id)
            except NotFound as missing:
                raise CommandError(missing.message) from missing
            own = InboxChannel.objects.sender_for(inbox.pk, Channel.EMAIL)
            if own is None:
                raise CommandError(
                    _("The inbox %(inbox)s has no e-mail address.") % {"inbox": inbox.name}
                )
            return str(Address(display_name=inbox.name, addr_spec=own.address))
        first = InboxChannel.objects.filter(kind=Channel.EMAIL).order_by("id").first()
        if first is None:
            return settings.DEFAULT_FROM_EMAIL
        return str(Address(display_name=first.inbox.name, addr_spec=first.address))
