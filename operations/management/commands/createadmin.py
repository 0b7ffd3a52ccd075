"""manage.py createadmin: the first organisation admin of a new installation."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.actions import invite_user
from accounts.invitations import invitation_link
from accounts.models import Role, User
from accounts.tasks import send_invitation
from contacts.identities import normalise_email


class Command(BaseCommand):
    help = _(
        "Create an organisation admin without a password and e-mail them the invitation "
        "link to choose one (sent now, through EMAIL_BACKEND; if it cannot be sent, nobody "
        "is created). With --link, no e-mail: the command prints the link, which works once "
        "and for three days. Refuses an e-mail address that already has a user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help=_("The admin's log-in address."))
        parser.add_argument(
            "--name", default="", help=_("Display name (default: from the address).")
        )
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            help=_("Interface language: %(codes)s.")
            % {"codes": ", ".join(code for code, _name in settings.LANGUAGES)},
        )
        parser.add_argument(
            "--link",
            action="store_true",
            help=_("Print the one-time link instead of e-mailing it."),
        )
        parser.add_argument(
            "--staff", action="store_true", help=_("Also let them into the Django admin pages.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            email = normalise_email(options["email"])
        except ValidationError as invalid:
            raise CommandError(" ".join(invalid.messages)) from invalid
        language = options["language"]
        if language not in dict(settings.LANGUAGES):
            raise CommandError(
                _("Unknown language %(lang)r; choose one of %(codes)s.")
                % {"lang": language, "codes": ", ".join(dict(settings.LANGUAGES))}
            )
        name = " ".join(options["name"].split())[:150] or email.partition("@")[0]
        if User.objects.filter(email=email).exists():
            raise CommandError(
                _(
                    "A user with %(email)s exists already; nothing was changed. An admin can send "
                    "their invitation again from Settings → Users."
                )
                % {"email": email}
            )
        try:
            with transaction.atomic():
                user = invite_user(
                    email=email,
                    display_name=name,
                    role=Role.ADMIN,
                    language=language,
                    actor=None,
                    send_email=False,
                )
                if options["staff"]:
                    User.objects.filter(pk=user.pk).update(is_staff=True)
                if not options["link"]:
                    # Now, not through the broker: a mail server that refuses it undoes all.
                    send_invitation(user.pk)
        except IntegrityError as exc:  # created by someone else this very moment
            raise CommandError(
                _("A user with %(email)s exists already; nothing was changed.") % {"email": email}
            ) from exc
        except Exception as exc:
            raise CommandError(
                _(
                    "The invitation could not be sent (%(error)s); nobody was created. Check the "
                    "e-mail settings (manage.py send_test_email), or use --link."
                )
                % {"error": f"{type(exc).__name__}: {exc}"}
            ) from exc
        if options["link"]:
            user.refresh_from_db()
            self.stdout.write(
                _(
                    "Admin %(email)s created. Their link to choose a password (works once, for "
                    "three days):"
                )
                % {"email": email}
            )
            self.stdout.write(invitation_link(user))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Admin %(email)s created; the invitation is sent.") % {"email": email}
                )
            )
