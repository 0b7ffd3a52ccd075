"""POST /api/v1/journey/page-views: the server consent mode, its scope and inbox restriction."""

import pytest
from django.test import Client

from journey.models import JourneySession, PageView
from tests.factories import identity
from tests.journey_helpers import HOST, visitor
from webchat.models import WebWidget

pytest_plugins = ["tests.api_fixtures", "tests.journey_world"]

URL = "/api/v1/journey/page-views"


@pytest.fixture
def server_widget(widget):
    widget.consent_mode = "server"
    widget.save()
    return widget


def body(widget, **who):
    return {
        "widget": widget.public_id,
        **who,
        "page_views": [
            {"url": HOST + "/preise?ref=crm&utm_source=crm", "title": "Preise"},
            {"url": HOST + "/kontakt", "title": "Kontakt", "referrer": HOST + "/preise"},
            {"url": "https://elsewhere.example/", "title": "skipped"},
        ],
    }


def test_the_host_sends_page_views_for_a_contact_by_external_id(api_for, server_widget, jana):
    identity(jana, "external_id", f"{server_widget.public_id}:user-17")

    answer = api_for(scopes=["journey:write"]).post(URL, body(server_widget, external_id="user-17"))

    assert answer.status_code == 201, answer.content
    assert answer.json() == {"stored": 2}
    session = JourneySession.objects.get()
    assert session.contact == jana and session.source == "api" and session.utm_source == "crm"
    assert list(PageView.objects.order_by("at", "id").values_list("url", flat=True)) == [
        HOST + "/preise?utm_source=crm",
        HOST + "/kontakt",
    ]


def test_by_email_and_by_visitor_token(api_for, server_widget, jana):
    identity(jana, "email", "jana@example.de")
    _row, token = visitor(server_widget, contact=jana)
    api = api_for(scopes=["journey:write"])

    assert api.post(URL, body(server_widget, email="Jana@Example.de")).status_code == 201
    assert api.post(URL, body(server_widget, visitor_token=token)).status_code == 201

    assert {s.contact_id for s in JourneySession.objects.all()} == {jana.pk}
    # The second batch continues no session of the first way of naming her: two sessions.
    assert PageView.objects.count() == 4


def test_unknown_contacts_and_ambiguous_names_are_refused(api_for, server_widget, jana):
    api = api_for(scopes=["journey:write"])

    assert api.post(URL, body(server_widget, external_id="nobody")).status_code == 404
    assert api.post(URL, body(server_widget, email="nobody@example.de")).status_code == 404
    assert api.post(URL, body(server_widget, visitor_token="nope")).status_code == 404
    two = api.post(URL, body(server_widget, external_id="x", email="jana@example.de"))
    assert two.status_code == 422 and two.headers["Content-Type"].startswith("application/problem")
    assert api.post(URL, body(server_widget)).status_code == 422
    assert api.post(URL, body(server_widget, email="not an address")).status_code == 422
    assert not PageView.objects.exists()


def test_a_widget_in_another_mode_is_409(api_for, widget, jana):
    identity(jana, "external_id", f"{widget.public_id}:user-17")

    answer = api_for(scopes=["journey:write"]).post(URL, body(widget, external_id="user-17"))

    assert answer.status_code == 409 and "server" in answer.json()["detail"]


def test_the_scope_is_needed(api_for, server_widget, jana):
    identity(jana, "external_id", f"{server_widget.public_id}:user-17")

    answer = api_for(scopes=["contacts:write"]).post(
        URL, body(server_widget, external_id="user-17")
    )

    assert answer.status_code == 403
    assert not PageView.objects.exists()


def test_a_token_of_inbox_b_gets_404_for_inbox_a_widget(api_for, inboxes, server_widget, jana):
    _a, b = inboxes
    identity(jana, "external_id", f"{server_widget.public_id}:user-17")
    WebWidget.objects.create(inbox=b, consent_mode="server", allowed_origins=HOST)

    answer = api_for(scopes=["journey:write"], inboxes=[b]).post(
        URL, body(server_widget, external_id="user-17")
    )

    assert answer.status_code == 404
    assert not PageView.objects.exists()


def test_bad_page_views_are_422(api_for, server_widget, jana):
    api = api_for(scopes=["journey:write"])
    payload = body(server_widget, external_id="x")

    assert api.post(URL, {**payload, "page_views": []}).status_code == 422
    assert api.post(URL, {**payload, "page_views": [{"title": "no url"}]}).status_code == 422
    assert api.post(URL, {**payload, "page_views": [{"url": "x", "at": "soon"}]}).status_code == 422


def test_the_operation_is_in_the_openapi_schema_with_its_scope(client: Client):
    schema = client.get("/api/v1/openapi.json").json()

    operation = schema["paths"]["/api/v1/journey/page-views"]["post"]
    assert operation["x-scope"] == "journey:write"
