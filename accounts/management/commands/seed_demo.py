"""Create the demo organisation and its people; a second run leaves existing rows as they are."""

from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import Organisation, Role, User

DEMO_PASSWORD = "switchboard-demo"  # noqa: S105 - documented demo log-in, refused without DEBUG

DEMO_USERS = [
    ("admin@nordlicht.example", "Ada Berger", Role.ADMIN, "en"),
    ("manager@nordlicht.example", "Max Lindqvist", Role.MANAGER, "sv"),
    ("anna@nordlicht.example", "Anna Schmidt", Role.AGENT, "en"),
    ("erik@nordlicht.example", "Erik Johansson", Role.AGENT, "en"),
]


def demo_modules() -> list[ModuleType]:
    """Each later app adds its demo data in its own `demo` module (add_arguments, seed),
    found here by name so that accounts never imports an app that comes after it."""
    modules = []
    for config in apps.get_app_configs():
        if config.name in {"accounts", "lib"} or not (Path(config.path) / "demo.py").exists():
            continue
        modules.append(import_module(f"{config.name}.demo"))
    return modules


class Command(BaseCommand):
    help = "Create demo data (organisation Nordlicht GmbH, an admin, a manager, two agents)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off (never in production).",
        )
        for demo in demo_modules():
            demo.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates users with a published password, so it only runs with "
                "DEBUG=true. Use --force to run it anyway (never on a production database)."
            )
        with transaction.atomic():
            self._seed_organisation()
            created = self._seed_users()
        for demo in demo_modules():
            demo.seed(options, self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready ({created} new users). Log in with:")
        )
        for email, name, role, _language in DEMO_USERS:
            self.stdout.write(f"  {role.label:<8} {email:<28} {DEMO_PASSWORD}   ({name})")

    def _seed_organisation(self) -> None:
        Organisation.objects.get_or_create(
            id=Organisation.SINGLETON_ID,
            defaults={
                "name": "Nordlicht GmbH",
                "address": "Hafenstraße 12\n20457 Hamburg\nDeutschland",
                "email": "service@nordlicht.example",
                "phone": "+49 40 1234567",
            },
        )

    def _seed_users(self) -> int:
        created = 0
        for email, name, role, language in DEMO_USERS:
            if User.objects.filter(email=email).exists():
                continue
            User.objects.create_user(
                email,
                password=DEMO_PASSWORD,
                display_name=name,
                role=role,
                language=language,
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
            )
            created += 1
        return created
