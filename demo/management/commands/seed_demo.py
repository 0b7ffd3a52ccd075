"""Create the demo data: the organisation and its people, contacts, inboxes and their
conversations, and on request synthetic volume for scale tests and benchmarks. A second run
adds no hand-made rows twice (the synthetic ones it adds again, as asked)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Max

from contacts.models import Contact
from demo.accounts import DEMO_PASSWORD, DEMO_USERS, seed_organisation_and_users
from demo.campaigns import seed_campaigns
from demo.contacts import seed_demo_contacts
from demo.inbox import seed_conversations, seed_inboxes
from demo.surveys import seed_surveys
from demo.synthetic_contacts import generate_contacts
from demo.synthetic_conversations import generate_conversations
from demo.timeline import settle_contact_times


class Command(BaseCommand):
    help = "Create demo data (organisation Nordlicht GmbH, an admin, a manager, two agents)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off (never in production).",
        )
        parser.add_argument(
            "--contacts",
            type=int,
            default=0,
            metavar="N",
            help="Also generate N synthetic contacts (bulk inserts) for scale testing.",
        )
        parser.add_argument(
            "--conversations",
            type=int,
            default=0,
            metavar="N",
            help="Also generate N synthetic conversations (bulk inserts) for benchmarks.",
        )
        parser.add_argument(
            "--messages-per",
            type=int,
            default=10,
            metavar="M",
            help="Average number of messages per synthetic conversation (default 10).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates users with a published password, so it only runs with "
                "DEBUG=true. Use --force to run it anyway (never on a production database)."
            )
        created_users = seed_organisation_and_users()
        # Contacts before conversations: the hand-made ones write from the demo contacts, the
        # synthetic ones (generated last) from any contact's address.
        mark = _last_contact_id()
        created = seed_demo_contacts()
        story = list(Contact.objects.filter(id__gt=mark).values_list("id", flat=True))
        self.stdout.write(f"Demo contacts ready ({created} new).")
        inboxes = seed_inboxes()
        mark = _last_contact_id()
        created = seed_conversations(inboxes)
        # The unknown senders' contacts, created by their first messages.
        story += Contact.objects.filter(id__gt=mark).values_list("id", flat=True)
        self.stdout.write(f"Demo inboxes ready ({created} new conversations).")
        self.stdout.write(f"Demo campaigns ready ({seed_campaigns(inboxes)} new).")
        self.stdout.write(f"Demo surveys ready ({seed_surveys(inboxes)} new).")
        # The hand-made contacts (and the unknown senders their conversations added) get the
        # times of their story, before the synthetic volume joins them.
        if created:
            settle_contact_times(story)
        # The synthetic volume after the story: the demo campaigns, consents and surveys are
        # about the demo's own contacts, not a million generated ones.
        if options["contacts"]:
            generate_contacts(options["contacts"], stdout=self.stdout)
        if options["conversations"]:
            generate_conversations(
                options["conversations"],
                messages_per=options["messages_per"] or 10,
                stdout=self.stdout,
            )
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready ({created_users} new users). Log in with:")
        )
        for email, name, role, _language in DEMO_USERS:
            self.stdout.write(f"  {role.label:<8} {email:<28} {DEMO_PASSWORD}   ({name})")


def _last_contact_id() -> int:
    return Contact.objects.aggregate(last=Max("id"))["last"] or 0
