"""seed_demo: the demo organisation and people, created once, never in production."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organisation, Role, User


def test_seed_demo_refuses_to_run_without_debug(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="only runs with DEBUG"):
        call_command("seed_demo")

    assert not User.objects.exists()


def test_seed_demo_creates_the_demo_organisation_and_people_once(db, settings):
    settings.DEBUG = True

    call_command("seed_demo")
    User.objects.filter(email="anna@nordlicht.example").update(display_name="Anna S.")
    call_command("seed_demo")

    assert Organisation.load().name == "Nordlicht GmbH"
    assert sorted(User.objects.values_list("role", flat=True)) == sorted(
        [Role.ADMIN, Role.MANAGER, Role.AGENT, Role.AGENT]
    )
    assert User.objects.get(email="anna@nordlicht.example").display_name == "Anna S."
    assert User.objects.get(email="anna@nordlicht.example").check_password("switchboard-demo")


def test_seed_demo_runs_with_force(db, settings):
    settings.DEBUG = False

    call_command("seed_demo", "--force")

    assert User.objects.count() == 4
