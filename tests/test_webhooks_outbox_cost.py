"""What the outbox costs the changes that emit events: nothing but a cached look-up when no
endpoint listens, one look-up for a whole batch, and a new endpoint hears the next event."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts import actions as contact_actions
from lib.events import emit, emit_many
from tests.webhooks_helpers import endpoint_for
from webhooks.models import WebhookEvent

URL = "https://crm.example.com/hooks"


@pytest.fixture(autouse=True)
def _public_dns(monkeypatch):
    monkeypatch.setattr("webhooks.ssrf.resolve", lambda host, port: ["93.184.215.14"])


def _endpoint_queries(queries) -> int:
    return sum('"webhooks_webhookendpoint"' in q["sql"] for q in queries)


def test_without_endpoints_an_event_costs_one_look_up_then_none(db, ada):
    with CaptureQueriesContext(connection) as first:
        emit(1, "contact.updated", {"contact": 1}, personal=True)
    with CaptureQueriesContext(connection) as later:
        for _ in range(20):
            emit(1, "contact.updated", {"contact": 1}, personal=True)

    assert _endpoint_queries(first.captured_queries) == 1
    assert _endpoint_queries(later.captured_queries) == 0
    assert WebhookEvent.objects.count() == 0


def test_a_batch_of_a_thousand_events_looks_the_endpoints_up_once(db, ada):
    with CaptureQueriesContext(connection) as batch:
        emit_many(1, "contact.created", [{"contact": n} for n in range(1000)], personal=True)

    assert _endpoint_queries(batch.captured_queries) <= 1
    assert len(batch.captured_queries) <= 4  # the look-up and one savepoint


def test_a_new_endpoint_hears_the_next_event_at_once(transactional_db, ada):
    contact_actions.create_contact(actor=ada, first_name="Erika")  # caches "no endpoints"
    assert WebhookEvent.objects.count() == 0

    endpoint_for(ada, URL, event_types=["contact.created"])  # commits: the cache is forgotten
    contact_actions.create_contact(actor=ada, first_name="Jonas")

    assert list(WebhookEvent.objects.values_list("type", flat=True)) == ["contact.created"]
