"""The role-by-view matrix: every URL of the application, walked from the URL configuration
so that a new URL cannot escape it.

- Anonymous visitors are sent to log in (except the few public pages).
- Bob, an agent of inbox B only, gets 404 for every URL that names anything of inbox A —
  conversation, message or inbox — whatever the method: pages, htmx fragments, downloads.
- Alice, a member of inbox A, can open A's pages, but not A's settings (403).
- Max, a manager of inbox A, can open A's settings.
- Every export (a URL with a file format) contains only what the exporting user may see:
  Bob's download of a contact who wrote to A and B holds B's conversation and nothing of A's.
"""

import csv
import io

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from assistant.models import AssistantRequest
from campaigns.models import Campaign, Template
from inbox import actions
from inbox.actions import IncomingFile
from inbox.models import Attachment
from surveys.models import Survey
from tests.factories import ContactFactory, identity, inbound, inbox_with

PUBLIC = {
    "healthz",
    "accounts:login",
    "accounts:set_language",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:invitation_accept",
    # Provider webhooks authenticate by signature, not by session (tests/test_twilio_webhooks.py).
    "webhooks:twilio_inbound",
    "webhooks:twilio_status",
    "campaign_webhooks:twilio_status",
    # Twilio fetches a reply's file by a signed, expiring link (tests/test_reply_attachments.py).
    "webhooks:twilio_reply_media",
    # A signed per-recipient token is its authority (RFC 8058 one-click, no log-in).
    "campaigns:unsubscribe",
    "campaigns:click",
    # A signed per-invitation token: the public survey page (GET shows, only POST records).
    "survey_answer:answer",
    "survey_answer:answer_score",
    # The web chat widget on a customer's website: no log-in; every request is checked against
    # the widget's allowed origins and carries the visitor's token (tests/test_webchat_*.py,
    # tests/test_journey_ingest.py).
    "webchat:loader",
    "webchat:chat",
    "webchat:hello",
    "webchat:thread",
    "webchat:send",
    "webchat:email",
    "webchat:identify",
    "webchat:attachment",
    "journey_widget:page_views",
    # A bearer token is the authority of /metrics (tests/test_observability_metrics.py), and
    # browsers post CSP violation reports without a session (tests/test_observability_csp.py).
    "metrics",
    "csp_report",
}
INBOX_SCOPED = {
    "conversation_id",
    "message_id",
    "inbox_id",
    "attachment_id",
    "campaign_id",
    "template_id",
    "assistant_request_id",
    "survey_id",
}
# The API answers with tokens, not sessions: tests/test_api_matrix.py is its matrix.
SKIP_NAMESPACES = {"admin", "anymail", "api"}


def walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if entry.namespace in SKIP_NAMESPACES:
                continue
            yield from walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


ALL = sorted(walk(get_resolver().url_patterns), key=lambda item: item[0])
SCOPED = [(name, p) for name, p in ALL if set(p.pattern.converters) & INBOX_SCOPED]
EXPORTS = [(name, p) for name, p in ALL if "file_format" in p.pattern.converters]
FORMATS = ["json", "csv"]


def url_id(value):
    return value if isinstance(value, str) else ""


def test_the_matrix_sees_the_inbox_urls():
    names = {name for name, _pattern in SCOPED}
    assert {
        "inbox:conversation",
        "inbox:conversation_reply",
        "routing:conversation",
        "inbox_settings:inbox_detail",
    } <= names


@pytest.fixture
def world(alice, bob, max_manager):
    """Inbox A (Alice member, Max manager) with a conversation, a reply and a comment;
    inbox B with Bob."""
    inbox_a = inbox_with("A", "open", members=[alice], managers=[max_manager])
    inbox_with("B", "open", members=[bob])
    message = inbound(inbox_a)
    conversation = message.conversation
    actions.reply(conversation, body="Hallo", actor=alice)
    actions.add_comment(conversation, body="intern", actor=alice)
    attachment = Attachment(message=message, filename="invoice.pdf", content_type="application/pdf")
    attachment.file.save("invoice.pdf", ContentFile(b"%PDF-1.4"), save=True)
    campaign = Campaign.objects.create(
        inbox=inbox_a, name="Winterschlussverkauf", channel="sms", body="Hallo"
    )
    template = Template.objects.create(inbox=inbox_a, name="Begrüßung", body="Hallo")
    # A message assistant request Alice made in inbox A (only she may follow it).
    assistant_request = AssistantRequest.objects.create(
        feature="rewrite", user=alice, organisation_id=1, inbox=inbox_a
    )
    survey = Survey.objects.create(inbox=inbox_a, name="Zufriedenheit")
    return {
        "conversation_id": conversation.pk,
        "message_id": message.pk,
        "inbox_id": inbox_a.pk,
        "attachment_id": attachment.pk,
        "campaign_id": campaign.pk,
        "template_id": template.pk,
        "assistant_request_id": assistant_request.pk,
        "survey_id": survey.pk,
    }


def url_for(name, pattern, ids):
    kwargs = {}
    for key in pattern.pattern.converters:
        kwargs[key] = ids.get(key, 1) if key != "file_format" else "json"
        if key in ("uidb64", "token"):
            kwargs[key] = "x"
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize(
    ("name", "pattern"),
    [i for i in ALL if i[0] not in PUBLIC],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_anonymous_visitors_are_sent_to_log_in(client, world, name, pattern):
    response = client.get(url_for(name, pattern, world))

    assert response.status_code == 302, name
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("name", "pattern"), SCOPED, ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_agent_of_another_inbox_gets_404_for_everything_of_inbox_a(
    client_for, bob, world, name, pattern, method
):
    response = getattr(client_for(bob), method)(
        url_for(name, pattern, world), headers={"HX-Request": "true"}
    )

    assert response.status_code in (404, 405), f"{name} {method} answered {response.status_code}"


@pytest.mark.parametrize(
    ("name", "pattern"),
    [i for i in SCOPED if i[0].startswith("inbox:") and not i[0].startswith("inbox_settings")],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_member_of_inbox_a_is_never_told_it_does_not_exist(
    client_for, alice, world, name, pattern
):
    response = client_for(alice).get(url_for(name, pattern, world))

    assert response.status_code in (200, 302, 405), f"{name} answered {response.status_code}"


def test_campaigns_follow_the_inbox_role(client_for, alice, max_manager, world):
    """Members of the inbox see its campaigns read-only; its managers change them."""
    detail = reverse("campaigns:detail", args=[world["campaign_id"]])
    edit = reverse("campaigns:edit", args=[world["campaign_id"]])
    cancel = reverse("campaigns:cancel", args=[world["campaign_id"]])

    assert client_for(alice).get(detail).status_code == 200
    assert client_for(alice).get(edit).status_code == 403
    assert client_for(alice).post(cancel).status_code == 403
    assert client_for(max_manager).get(edit).status_code == 200
    assert Campaign.objects.get(pk=world["campaign_id"]).status == "draft"


def test_surveys_follow_the_inbox_role(client_for, alice, max_manager, world):
    """Members of the inbox read its surveys and results; its managers change them."""
    detail = reverse("surveys:detail", args=[world["survey_id"]])
    edit = reverse("surveys:edit", args=[world["survey_id"]])
    delete = reverse("surveys:delete", args=[world["survey_id"]])

    assert client_for(alice).get(detail).status_code == 200
    assert client_for(alice).get(edit).status_code == 403
    assert client_for(alice).post(delete).status_code == 403
    assert client_for(max_manager).get(edit).status_code == 200
    assert Survey.objects.filter(pk=world["survey_id"]).exists()


def test_the_message_assistant_follows_the_inbox_role(client_for, alice, max_manager, world):
    """Members use the reply-box tools, only managers draft campaigns; a request is followed
    by the user who made it alone."""
    draft = reverse("assistant:campaign_draft", args=[world["campaign_id"]])
    status = reverse("assistant:request", args=[world["assistant_request_id"]])

    assert client_for(alice).post(draft, {"topic": "x"}).status_code == 403
    assert client_for(max_manager).post(draft, {}).status_code != 403
    assert client_for(alice).get(status).status_code == 200
    assert client_for(max_manager).get(status).status_code == 404


def test_inbox_settings_follow_the_inbox_role(client_for, alice, max_manager, world):
    url = reverse("inbox_settings:inbox_detail", args=[world["inbox_id"]])

    assert client_for(alice).get(url).status_code == 403
    assert client_for(max_manager).get(url).status_code == 200


# --- Exports ------------------------------------------------------------------------------


def test_the_matrix_sees_the_exports():
    assert "contacts:export" in {name for name, _pattern in EXPORTS}


def traces(letter):
    """What a conversation in inbox `letter` leaves in an export, each a distinct string."""
    return {
        "subject": f"Betreff aus Postfach {letter}",
        "body": f"Nachricht aus Postfach {letter}",
        "html": f"<p>HTML aus Postfach {letter}</p>",
        "attachment": f"anhang-postfach-{letter}.pdf",
        "comment": f"Interner Kommentar aus Postfach {letter}",
        "reply": f"Antwort aus Postfach {letter}",
    }


@pytest.fixture
def two_inbox_contact(alice, bob, settings, tmp_path):
    """A contact who wrote an e-mail to inbox A (Alice) and one to inbox B (Bob); each
    conversation has a subject, a body, e-mail HTML, an attachment, a reply and a comment."""
    settings.MEDIA_ROOT = tmp_path
    contact = ContactFactory(first_name="Greta", last_name="Lindqvist")
    identity(contact, "email", "greta.lindqvist@example.se")
    for letter, agent in (("A", alice), ("B", bob)):
        inbox = inbox_with(letter, "open", members=[agent])
        seen = traces(letter)
        message = inbound(
            inbox,
            channel="email",
            address="greta.lindqvist@example.se",
            body=seen["body"],
            html=seen["html"],
            subject=seen["subject"],
            new_thread=True,
            attachments=[IncomingFile(seen["attachment"], "application/pdf", b"%PDF-1.4")],
        )
        actions.reply(message.conversation, body=seen["reply"], actor=agent)
        actions.add_comment(message.conversation, body=seen["comment"], actor=agent)
    return contact


def export_text(client, name, pattern, contact, file_format):
    kwargs = {"file_format": file_format}
    kwargs.update({key: contact.pk for key in pattern.pattern.converters if key != "file_format"})
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200, f"{name} {file_format} answered {response.status_code}"
    text = response.content.decode()
    if file_format == "csv":
        # The cells, so that CSV quoting cannot hide or fake a match.
        text = "\n".join(cell for row in csv.reader(io.StringIO(text)) for cell in row)
    return text


@pytest.mark.parametrize("file_format", FORMATS)
@pytest.mark.parametrize(("name", "pattern"), EXPORTS, ids=url_id)
def test_an_export_holds_only_the_conversations_the_user_may_see(
    client_for, alice, bob, two_inbox_contact, name, pattern, file_format
):
    for user, visible, hidden in ((bob, "B", "A"), (alice, "A", "B")):
        text = export_text(client_for(user), name, pattern, two_inbox_contact, file_format)

        for kind, trace in traces(hidden).items():
            assert trace not in text, f"{user} got {kind} of inbox {hidden} in {file_format}"
        for kind, trace in traces(visible).items():
            assert trace in text, f"{user} misses {kind} of inbox {visible} in {file_format}"
        assert "Lindqvist" in text  # the contact's own data is theirs to export


@pytest.mark.parametrize("file_format", FORMATS)
@pytest.mark.parametrize(("name", "pattern"), EXPORTS, ids=url_id)
def test_an_admin_exports_the_conversations_of_every_inbox(
    client_for, ada, two_inbox_contact, name, pattern, file_format
):
    text = export_text(client_for(ada), name, pattern, two_inbox_contact, file_format)

    for letter in "AB":
        for kind, trace in traces(letter).items():
            assert trace in text, f"the admin misses {kind} of inbox {letter}"
