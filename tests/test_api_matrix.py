"""The role-by-URL matrix of the API, walked from its own OpenAPI schema so that a new
operation cannot escape it:

- a token restricted to inbox B gets 404 for every object of inbox A — conversation, its
  messages, campaign, its recipients, the inbox itself as a filter or a sender — on every
  operation, with nothing of A in the answer;
- the same requests with a token of inbox A (or of every inbox) succeed, so the 404 is the
  rule and not a broken request;
- a token without an operation's scope gets 403 naming it, on every operation.
"""

import pytest

from api.api import api
from api.scopes import Scope
from campaigns.models import Campaign, CampaignRecipient
from inbox.models import InboxChannel
from tests.api_helpers import ApiClient
from tests.factories import ContactFactory, identity, inbound, inbox_with
from webchat.models import WebWidget

pytest_plugins = ["tests.api_fixtures"]
pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema(path_params={})
OPERATIONS = sorted(
    (method.upper(), path, operation["x-scope"])
    for path, methods in SCHEMA["paths"].items()
    for method, operation in methods.items()
)
# Path parameters that name something of an inbox; body fields that do.
INBOX_SCOPED_PARAMS = {"conversation_id", "campaign_id"}
INBOX_SCOPED_QUERY = {("GET", "/api/v1/conversations"): "inbox"}
INBOX_SCOPED_BODY = {("POST", "/api/v1/messages"), ("POST", "/api/v1/journey/page-views")}
JOURNEY = "/api/v1/journey/page-views"


def _scoped(method, path):
    return (
        any(f"{{{name}}}" in path for name in INBOX_SCOPED_PARAMS)
        or (method, path) in INBOX_SCOPED_QUERY
        or (method, path) in INBOX_SCOPED_BODY
    )


SCOPED = [(m, p) for m, p, _s in OPERATIONS if _scoped(m, p)]


def test_the_matrix_sees_every_inbox_operation():
    assert {
        ("GET", "/api/v1/conversations/{conversation_id}"),
        ("GET", "/api/v1/conversations/{conversation_id}/messages"),
        ("GET", "/api/v1/campaigns/{campaign_id}"),
        ("GET", "/api/v1/campaigns/{campaign_id}/recipients"),
        ("POST", "/api/v1/messages"),
        ("GET", "/api/v1/conversations"),
    } <= set(SCOPED)
    # Every other operation is organisation-wide (contacts, definitions, deletion log) or a
    # list that filters by the token's inboxes (tested below).
    unscoped = {(m, p) for m, p, _s in OPERATIONS} - set(SCOPED)
    assert all(
        p.startswith(
            (
                "/api/v1/contacts",
                "/api/v1/attribute-definitions",
                "/api/v1/deleted-contacts",
                "/api/v1/campaigns",
            )
        )
        for _m, p in unscoped
    )


@pytest.fixture
def world():
    """Inbox A with a conversation, a campaign and a recipient; inbox B; a contact."""
    inbox_a, inbox_b = inbox_with("A"), inbox_with("B")
    InboxChannel.objects.create(inbox=inbox_a, kind="sms", address="+4940111111")
    InboxChannel.objects.create(inbox=inbox_b, kind="sms", address="+4940222222")
    message = inbound(inbox_a, address="+491701234567", body="Geheim aus A")
    conversation = message.conversation
    contact = conversation.contact or ContactFactory()
    if not contact.identities.exists():
        identity(contact, "phone", "+491701234567")
    campaign = Campaign.objects.create(inbox=inbox_a, name="Nur A", channel="sms", body="Hi")
    CampaignRecipient.objects.create(
        campaign=campaign, contact=contact, address="+491701234567", status="sent"
    )
    identity(contact, "email", "kundin@example.org")
    widget = WebWidget.objects.create(
        inbox=inbox_a, enabled=True, consent_mode="server", allowed_origins="https://shop.example"
    )
    return {
        "widget": widget.public_id,
        "inbox_a": inbox_a,
        "inbox_b": inbox_b,
        "conversation_id": conversation.pk,
        "campaign_id": campaign.pk,
        "contact": contact,
    }


def _request(client, method, path, world):
    url = path.format(**{k: v for k, v in world.items() if k.endswith("_id")})
    if method == "GET":
        query = (
            {INBOX_SCOPED_QUERY[(method, path)]: world["inbox_a"].pk}
            if (method, path) in INBOX_SCOPED_QUERY
            else {}
        )
        return client.get(url, **query)
    if path == JOURNEY:
        page = {"url": "https://shop.example/preise", "title": "Preise"}
        return client.post(
            url, {"widget": world["widget"], "email": "kundin@example.org", "page_views": [page]}
        )
    body = {
        "contact_id": world["contact"].pk,
        "inbox_id": world["inbox_a"].pk,
        "channel": "sms",
        "address": "+491701234567",
        "body": "Hallo",
    }
    return client.post(url, body)


@pytest.mark.parametrize(("method", "path"), SCOPED, ids=lambda v: v)
def test_a_token_of_inbox_b_gets_404_for_everything_of_inbox_a(make_token, world, method, path):
    client = ApiClient(make_token(inboxes=[world["inbox_b"]]))

    response = _request(client, method, path, world)

    assert response.status_code == 404, (method, path, response.content)
    assert response["Content-Type"] == "application/problem+json"
    text = response.content.decode()
    assert "Geheim" not in text and "Nur A" not in text and "1234567" not in text


@pytest.mark.parametrize(("method", "path"), SCOPED, ids=lambda v: v)
@pytest.mark.parametrize("restriction", ["inbox_a", "all"])
def test_a_token_of_inbox_a_reaches_the_same_objects(make_token, world, method, path, restriction):
    inboxes = [world["inbox_a"]] if restriction == "inbox_a" else []
    client = ApiClient(make_token(inboxes=inboxes))

    response = _request(client, method, path, world)

    assert response.status_code in (200, 201), (method, path, response.content)


@pytest.mark.parametrize("path", ["/api/v1/conversations", "/api/v1/campaigns"], ids=lambda v: v)
def test_lists_hold_only_the_tokens_inboxes(make_token, world, path):
    inbound(world["inbox_b"], address="+491709876543")
    Campaign.objects.create(inbox=world["inbox_b"], name="Nur B", channel="sms", body="Hi")
    client = ApiClient(make_token(inboxes=[world["inbox_b"]]))

    items = client.get(path).json()["items"]

    assert items and {item["inbox_id"] for item in items} == {world["inbox_b"].pk}


@pytest.mark.parametrize(("method", "path", "scope"), OPERATIONS, ids=lambda v: v)
def test_every_operation_needs_its_scope(make_token, world, method, path, scope):
    others = [s for s in Scope.values if s != scope]
    client = ApiClient(make_token(scopes=others))
    url = path.format(
        contact_id=world["contact"].pk,
        identity_id=1,
        conversation_id=world["conversation_id"],
        campaign_id=world["campaign_id"],
    )

    response = getattr(client, method.lower())(url)

    assert response.status_code == 403, (method, path)
    assert response.json()["scope"] == scope
