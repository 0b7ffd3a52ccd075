"""The demo organisation, Nordlicht GmbH, and its people: an admin, a manager, two agents.
Both are created when missing; a second run leaves existing rows as they are."""

from django.db import transaction

from accounts.models import Organisation, Role, User

DEMO_PASSWORD = "switchboard-demo"  # noqa: S105 - documented demo log-in, refused without DEBUG

DEMO_USERS = [
    ("admin@nordlicht.example", "Ada Berger", Role.ADMIN, "en"),
    ("manager@nordlicht.example", "Max Lindqvist", Role.MANAGER, "sv"),
    ("anna@nordlicht.example", "Anna Schmidt", Role.AGENT, "en"),
    ("erik@nordlicht.example", "Erik Johansson", Role.AGENT, "en"),
]


@transaction.atomic
def seed_organisation_and_users() -> int:
    """Create the organisation and the users that do not exist yet; returns how many users
    were created."""
    Organisation.objects.get_or_create(
        id=Organisation.SINGLETON_ID,
        defaults={
            "name": "Nordlicht GmbH",
            "address": "Hafenstraße 12\n20457 Hamburg\nDeutschland",
            "email": "service@nordlicht.example",
            "phone": "+49 40 1234567",
        },
    )
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
