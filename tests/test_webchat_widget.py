"""The widget's public pages: the origin check on every request, the loader, the chat page,
a visitor writing through the inbox's one inbound path, the cheap poll, attachments and the
away message."""

import gzip
import html
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from contacts.models import ContactKind
from inbox.actions.conversations import reply
from inbox.models import Conversation, DeliveryStatus, Direction, Message
from inbox.reply_files import check_reply_files
from tests.factories import inbox_with
from tests.webchat_helpers import SHOP, Visitor, make_widget
from webchat.models import WebVisitor

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def widget(alice, max_manager):
    inbox = inbox_with("Kundenservice", members=[alice], managers=[max_manager])
    return make_widget(inbox)


# --- Origins -----------------------------------------------------------------------------


def test_the_chat_page_opens_for_an_allowed_origin_with_its_frame_ancestors(client, widget):
    answer = client.get(
        f"/w/{widget.public_id}/chat/?origin={SHOP}", headers={"Referer": SHOP + "/p"}
    )

    assert answer.status_code == 200
    csp = answer["Content-Security-Policy"]
    assert f"frame-ancestors {SHOP}" in csp
    assert "X-Frame-Options" not in answer
    assert "Hallo! Wie können wir helfen?" in answer.text


@pytest.mark.parametrize(
    ("origin", "referer"),
    [
        ("https://evil.example", "https://evil.example/"),  # another website
        (SHOP, "https://evil.example/page"),  # an allowed name, framed elsewhere
        ("", ""),  # none given
    ],
)
def test_the_chat_page_refuses_other_or_missing_origins(client, widget, origin, referer):
    headers = {"Referer": referer} if referer else {}
    answer = client.get(f"/w/{widget.public_id}/chat/?origin={origin}", headers=headers)

    assert answer.status_code == 403


@pytest.mark.parametrize("embed", ["https://evil.example", ""])
def test_widget_requests_from_another_or_no_origin_are_refused(widget, embed):
    visitor = Visitor(widget, embed=embed)

    assert visitor.send().status_code == 403
    assert visitor.poll().status_code == 403
    assert not Message.objects.exists()


def test_a_request_whose_browser_origin_is_another_website_is_refused(widget):
    visitor = Visitor(widget)
    answer = visitor.client.post(
        visitor.url("send"),
        {"body": "hi", "client_id": "x1"},
        headers=visitor.headers(Origin="https://evil.example"),
    )

    assert answer.status_code == 403


def test_a_disabled_or_unknown_widget_is_not_found(client, widget):
    widget.enabled = False
    widget.save()

    assert client.get(f"/w/{widget.public_id}.js").status_code == 404
    assert client.get(f"/w/{widget.public_id}/chat/?origin={SHOP}").status_code == 404
    assert client.get("/w/nope.js").status_code == 404
    # The settings page's preview still shows it, framed by Switchboard only.
    preview = client.get(f"/w/{widget.public_id}/chat/?preview=1")
    assert preview.status_code == 200
    assert "frame-ancestors 'self'" in preview["Content-Security-Policy"]


# --- The loader --------------------------------------------------------------------------


def test_the_loader_is_small_cached_and_carries_its_config_as_json(client, widget):
    answer = client.get(f"/w/{widget.public_id}.js", headers={"Referer": SHOP + "/"})

    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/javascript")
    assert "max-age=" in answer["Cache-Control"]
    body = answer.content
    assert len(gzip.compress(body)) < 10 * 1024
    assert b"switchboardWidget({" in body
    assert b"eval(" not in body
    assert f'"id": "{widget.public_id}"'.encode() in body
    again = client.get(f"/w/{widget.public_id}.js", headers={"If-None-Match": answer["ETag"]})
    assert again.status_code == 304


def test_the_loader_includes_the_journey_recorder_when_present(client, widget):
    body = client.get(f"/w/{widget.public_id}.js").content

    assert b"function switchboardJourney" in body
    assert b"typeof switchboardJourney === 'function'" in body


def test_the_loader_refuses_a_page_of_another_website(client, widget):
    answer = client.get(f"/w/{widget.public_id}.js", headers={"Referer": "https://evil.example/"})

    assert answer.status_code == 403


# --- Writing -----------------------------------------------------------------------------


def test_a_visitor_message_arrives_as_a_web_conversation_with_an_ephemeral_contact(widget):
    visitor = Visitor(widget)

    answer = visitor.send("Hallo, wo ist mein Paket?", client_id="m1")

    assert answer.status_code == 200
    assert "Hallo, wo ist mein Paket?" in answer.text
    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.inbox_id) == ("web", widget.inbox_id)
    assert conversation.contact.kind == ContactKind.EPHEMERAL
    row = WebVisitor.objects.get()
    assert row.contact_id == conversation.contact_id
    assert conversation.address == row.anonymous_address
    # The token itself is never stored, only its hash.
    assert visitor.token not in str(WebVisitor.objects.values_list().get())


def test_a_retried_send_stores_the_message_once(widget):
    visitor = Visitor(widget)

    visitor.send("Einmal bitte", client_id="same")
    visitor.send("Einmal bitte", client_id="same")

    assert Message.objects.count() == 1


def test_an_empty_or_oversized_message_is_refused_with_a_message(widget):
    visitor = Visitor(widget)

    empty = visitor.send("   ")
    long = visitor.send("x" * 5001)

    assert empty.status_code == 422 and "Write a message" in empty.text
    assert long.status_code == 422 and "5000" in long.text
    assert not Message.objects.exists()


def test_opening_a_page_stores_nothing_until_the_visitor_opens_the_chat(client, widget):
    visitor = Visitor(widget)
    client.get(f"/w/{widget.public_id}/chat/?origin={SHOP}")
    visitor.poll()

    assert not WebVisitor.objects.exists()
    assert visitor.hello().status_code == 204
    assert WebVisitor.objects.count() == 1


def test_consent_is_stored_on_the_visitor(widget):
    visitor = Visitor(widget)
    visitor.hello()

    visitor.hello(consent="true")
    assert WebVisitor.objects.get().consent is True
    visitor.hello(consent="false")
    assert WebVisitor.objects.get().consent is False


def test_consent_alone_makes_no_visitor_in_chat_only_mode(widget):
    Visitor(widget).hello(consent="true")

    assert not WebVisitor.objects.exists()


# --- The poll and replies ----------------------------------------------------------------


def poller_query(answer) -> str:
    """What the poller asks with next: its stamps, what it watches, the time of its answer."""
    found = re.search(r'/thread/\?([^"]*)"', answer.text)
    assert found, answer.text
    return html.unescape(found.group(1))


def settled_query(visitor) -> str:
    """The poller's query once it has drawn twice: the first answer after a page or a
    change watches new conversations and carries no stamp yet, the second does."""
    return poller_query(visitor.poll(poller_query(visitor.poll())))


def test_the_idle_poll_answers_204_without_a_query(widget, django_assert_num_queries):
    visitor = Visitor(widget)
    visitor.send()
    query = settled_query(visitor)
    assert "stamp=" in query and "watch=" in query and "since=" in query

    with django_assert_num_queries(0):
        idle = visitor.poll(query)

    assert idle.status_code == 204


def test_another_visitors_message_wakes_no_other_widget(
    widget, django_assert_num_queries, django_capture_on_commit_callbacks
):
    visitor = Visitor(widget)
    with django_capture_on_commit_callbacks(execute=True):
        visitor.send()
    query = settled_query(visitor)
    with django_capture_on_commit_callbacks(execute=True):
        Visitor(widget, token="another-visitor-token-zzzzzzzz").send("Ich auch")

    # The inbox's stamp moved; this visitor's and their conversation's did not.
    with django_assert_num_queries(0):
        answer = visitor.poll(query)

    assert answer.status_code == 204


def test_an_old_poller_draws_again_whatever_its_stamps(widget):
    visitor = Visitor(widget)
    visitor.send()
    query = poller_query(visitor.poll())
    since = re.search(r"since=([^&]*)", query).group(1)
    old = (timezone.now() - timedelta(minutes=1)).isoformat()

    answer = visitor.poll(query.replace(since, quote(old)))

    assert answer.status_code == 200


def test_a_forged_watch_list_draws_the_visitors_own_thread_only(widget):
    Visitor(widget, token="first-visitor-token-xxxxxxxx").send("Fremde Bestellung")
    visitor = Visitor(widget)

    answer = visitor.poll("stamp=x&watch=forged&since=")

    assert answer.status_code == 200
    assert "Fremde Bestellung" not in answer.text


def agent_reply(conversation, body, actor, capture):
    """An agent's reply, delivered (tasks run eagerly once the reply commits)."""
    with capture(execute=True):
        return reply(conversation, body=body, actor=actor)


def test_the_poll_shows_the_agents_reply_as_delivered_in_fixed_queries(
    widget, alice, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    visitor = Visitor(widget)
    visitor.send("Frage eins")
    conversation = Conversation.objects.get()
    agent_reply(conversation, "Antwort 0", alice, django_capture_on_commit_callbacks)
    query = poller_query(visitor.poll())
    agent_reply(conversation, "Antwort 1", alice, django_capture_on_commit_callbacks)

    with django_assert_max_num_queries(6):
        answer = visitor.poll(query)
    assert "Antwort 1" in answer.text
    # A longer thread costs the same queries.
    for number in range(2, 6):
        visitor.send(f"Noch eine Frage {number}")
        agent_reply(conversation, f"Antwort {number}", alice, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(6):
        answer = visitor.poll(query)

    assert answer.status_code == 200
    assert "Antwort 5" in answer.text
    statuses = set(
        Message.objects.filter(direction=Direction.OUTBOUND).values_list("status", flat=True)
    )
    assert statuses == {DeliveryStatus.DELIVERED}


def test_a_reply_shown_with_the_chat_open_is_read(
    widget, alice, django_capture_on_commit_callbacks
):
    visitor = Visitor(widget)
    visitor.send()
    message = agent_reply(
        Conversation.objects.get(), "Gern geschehen", alice, django_capture_on_commit_callbacks
    )
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT  # stored for the widget

    visitor.poll(**{"X-Switchboard-Shown": "1", "X-Switchboard-Refresh": "1"})

    message.refresh_from_db()
    assert message.status == DeliveryStatus.READ


def test_the_first_poll_of_a_page_draws_the_returning_visitors_thread(client, widget):
    visitor = Visitor(widget)
    visitor.send("Von gestern")
    Conversation.objects.update(updated_at=timezone.now() - timedelta(days=1))
    page = client.get(f"/w/{widget.public_id}/chat/?origin={SHOP}")

    answer = visitor.poll(poller_query(page))

    assert "Von gestern" in answer.text


def test_an_anonymous_visitor_sees_only_their_own_conversation(widget):
    Visitor(widget, token="first-visitor-token-xxxxxxxx").send("Meine geheime Bestellung")
    other = Visitor(widget, token="second-visitor-token-yyyyyyy")

    answer = other.poll()

    assert "Meine geheime Bestellung" not in answer.text


def test_customer_content_is_escaped(widget):
    answer = Visitor(widget).send("<img src=x onerror=alert(1)>")

    assert "<img src=x" not in answer.text
    assert "&lt;img src=x" in answer.text


# --- Attachments -------------------------------------------------------------------------


def test_a_visitor_attaches_an_image_checked_by_content(widget):
    visitor = Visitor(widget)
    image = SimpleUploadedFile("foto.png", PNG, content_type="image/png")

    answer = visitor.send("Das Foto", files=image)

    assert answer.status_code == 200
    message = Message.objects.get()
    [attachment] = message.attachments.all()
    assert attachment.filename == "foto.png"
    link = re.search(r'href="(/w/[^"]+/file/[^"]+/)"', answer.text).group(1)
    download = visitor.client.get(link)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")


def test_a_program_disguised_as_an_image_is_refused(widget):
    fake = SimpleUploadedFile("foto.png", b"MZ\x90\x00" + b"\0" * 64, content_type="image/png")

    answer = Visitor(widget).send("Hier", files=fake)

    assert answer.status_code == 422
    assert "content was checked" in answer.text
    assert not Message.objects.exists()


def test_a_forged_file_link_is_not_found(widget):
    answer = Visitor(widget).client.get(f"/w/{widget.public_id}/file/forged/")

    assert answer.status_code == 404


# --- Away --------------------------------------------------------------------------------


def test_the_away_message_and_email_field_appear_when_nobody_answers(widget):
    visitor = Visitor(widget)
    visitor.send("Ist jemand da?")
    assert 'data-away=""' in visitor.poll().text

    Conversation.objects.update(waiting_since=timezone.now() - timedelta(minutes=5))
    answer = visitor.poll()

    assert 'data-away="1"' in answer.text
    assert "Gerade ist niemand da." in answer.text
    left = visitor.leave_email("kunde@example.org")
    assert left.status_code == 200
    assert "kunde@example.org" in left.text
    assert WebVisitor.objects.get().email == "kunde@example.org"
    assert Conversation.objects.get().contact.identities.filter(kind="email").exists()


def test_a_malformed_email_address_is_refused_with_a_message(widget):
    visitor = Visitor(widget)
    visitor.send()

    answer = visitor.leave_email("not-an-address")

    assert answer.status_code == 422
    assert "name@example.com" in answer.text


def test_the_rate_limit_answers_429(widget, settings):
    settings.WEBCHAT_RATE_LIMIT = "3/minute"
    visitor = Visitor(widget)

    answers = [visitor.poll().status_code for _ in range(4)]

    assert answers[-1] == 429


def test_an_agents_file_reaches_the_visitor(widget, alice, django_capture_on_commit_callbacks):
    visitor = Visitor(widget)
    visitor.send("Haben Sie die Rechnung?")
    upload = SimpleUploadedFile("rechnung.pdf", b"%PDF-1.4\n" + b"0" * 64)
    files = check_reply_files([upload], channel="web")
    with django_capture_on_commit_callbacks(execute=True):
        reply(Conversation.objects.get(), body="Hier ist sie.", actor=alice, files=files)

    answer = visitor.poll()

    link = re.search(r'href="(/w/[^"]+/file/[^"]+/)"', answer.text).group(1)
    assert "rechnung.pdf" in answer.text
    download = visitor.client.get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_an_altered_file_link_finds_nothing(widget):
    visitor = Visitor(widget)
    answer = visitor.send("Foto", files=SimpleUploadedFile("a.png", PNG))
    link = re.search(r'href="(/w/[^"]+/file/[^"]+/)"', answer.text).group(1)

    # The link is signed for the file and its visitor; altering it finds nothing.
    assert visitor.client.get(link[:-3] + "xx/").status_code == 404


def test_consent_in_journey_mode_makes_the_visitor_the_journey_records(widget):
    widget.consent_mode = "journey"
    widget.save()

    Visitor(widget).hello(consent="true")

    assert WebVisitor.objects.get().consent is True


def test_an_agents_reply_wakes_the_settled_poller(
    widget, alice, django_capture_on_commit_callbacks
):
    visitor = Visitor(widget)
    with django_capture_on_commit_callbacks(execute=True):
        visitor.send("Hallo?")
    query = settled_query(visitor)
    assert visitor.poll(query).status_code == 204

    agent_reply(
        Conversation.objects.get(), "Wir sind da.", alice, django_capture_on_commit_callbacks
    )
    answer = visitor.poll(query)

    assert answer.status_code == 200
    assert "Wir sind da." in answer.text
