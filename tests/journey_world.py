"""Fixtures of the journey tests (a test module names this file in `pytest_plugins`):
inbox A (Alice, Max) with a web chat widget on tests.journey_helpers.HOST in the journey
consent mode, inbox B (Bob), and Jana, a contact."""

import pytest

from tests.factories import ContactFactory, inbox_with
from tests.journey_helpers import HOST
from webchat.models import WebWidget


@pytest.fixture
def inboxes(alice, bob, max_manager):
    a = inbox_with("Support A", "assignment", members=[alice], managers=[max_manager])
    b = inbox_with("Sales B", members=[bob])
    return a, b


@pytest.fixture
def widget(inboxes):
    a, _b = inboxes
    return WebWidget.objects.create(
        inbox=a, enabled=True, allowed_origins=HOST, consent_mode="journey"
    )


@pytest.fixture
def jana(organisation):
    return ContactFactory(first_name="Jana", last_name="Berg")
