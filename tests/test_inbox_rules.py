"""The shared inbox's rules, through its actions: receiving, modes, assignment, routing,
comments, delivery, and the contact lifecycle that now includes conversations."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.utils import timezone

from contacts.actions import anonymise_contact, block_contact, delete_contact
from contacts.exports import export_document
from contacts.merging import merge_contacts, undo_merge
from contacts.models import Contact
from contacts.tasks import remove_expired_ephemeral_contacts
from inbox import actions
from inbox.actions import assignment, linking
from inbox.models import Comment, Conversation, ConversationEvent, DeliveryStatus, Message
from inbox.tasks import deliver_message, sweep_queued_messages
from lib.errors import ActionRefused
from tests.factories import ContactFactory, UserFactory, identity, inbound, inbox_with


@pytest.fixture
def open_inbox(alice, max_manager):
    return inbox_with("Service", "open", members=[alice], managers=[max_manager])


@pytest.fixture
def assignment_inbox(alice, bob, max_manager):
    return inbox_with("Sales", "assignment", members=[alice, bob], managers=[max_manager])


# --- Receiving ------------------------------------------------------------------------------


def test_an_unknown_sender_gets_an_ephemeral_contact_and_a_numbered_conversation(open_inbox):
    message = inbound(open_inbox, address="0170 1234567")

    conversation = message.conversation
    assert conversation.contact.kind == "ephemeral"
    assert conversation.contact.identities.get().normalised == "+491701234567"
    assert conversation.address == "+491701234567"
    assert conversation.number >= 1 and conversation.waiting_since is not None
    assert ConversationEvent.objects.filter(conversation=conversation, kind="created").exists()


def test_a_known_sender_is_linked_and_the_open_conversation_continues(open_inbox):
    jana = ContactFactory()
    identity(jana, "phone", "+49 170 1234567")

    first = inbound(open_inbox, body="Hallo")
    second = inbound(open_inbox, address="+49 (170) 1234567", body="Noch da?")

    assert first.conversation_id == second.conversation_id
    assert first.conversation.contact == jana
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert conversation.last_message_preview == "Noch da?"


def test_a_resolved_conversation_is_not_continued_and_numbers_never_repeat(open_inbox, alice):
    first = inbound(open_inbox)
    actions.set_status(first.conversation, status="resolved", actor=alice)

    second = inbound(open_inbox)

    assert second.conversation_id != first.conversation_id
    assert second.conversation.number > first.conversation.number


def test_several_matching_contacts_leave_the_conversation_to_confirm(open_inbox):
    a, b = ContactFactory(), ContactFactory()
    identity(a, "phone", "+46 70 123 45 67")
    identity(b, "whatsapp", "+46 70 123 45 67")

    conversation = inbound(open_inbox, address="+46701234567").conversation

    assert conversation.contact is None
    assert conversation.contact_state == "to_confirm"
    assert set(conversation.candidate_ids) == {a.pk, b.pk}


def test_a_replayed_message_is_stored_once(open_inbox):
    for _replay in range(5):
        inbound(open_inbox, provider_message_id="SM123")

    assert Message.objects.filter(provider_message_id="SM123").count() == 1
    assert Conversation.objects.count() == 1


def test_a_blocked_senders_message_is_kept_flagged_and_not_routed(open_inbox, alice):
    jana = ContactFactory()
    identity(jana, "phone", "+49 170 1234567")
    block_contact(jana, reason="Abuse", actor=alice)

    message = inbound(open_inbox)

    assert message.is_flagged
    assert Conversation.objects.get(pk=message.conversation_id).is_flagged
    assert not Conversation.objects.waiting().exists()
    assert assignment.route_next(agent=alice) is None


def test_a_malformed_sender_address_is_refused_and_nothing_is_stored(open_inbox):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        inbound(open_inbox, address="not a number")

    assert not Message.objects.exists() and not Contact.objects.exists()


# --- Modes and assignment -----------------------------------------------------------------------


def test_open_mode_every_member_replies_and_nobody_assigns_themselves(open_inbox, alice):
    conversation = inbound(open_inbox).conversation

    actions.reply(conversation, body="Gleich erledigt.", actor=alice)
    with pytest.raises(ActionRefused):
        assignment.assign_to_me(conversation, actor=alice)

    conversation.refresh_from_db()
    assert conversation.assignee is None and conversation.waiting_since is None


def test_assignment_mode_only_the_assignee_replies(assignment_inbox, alice, bob):
    conversation = inbound(assignment_inbox).conversation

    with pytest.raises(PermissionDenied, match="Assign the conversation to yourself"):
        actions.reply(conversation, body="Hallo", actor=alice)
    assignment.assign_to_me(conversation, actor=alice)
    conversation.refresh_from_db()
    actions.reply(conversation, body="Hallo", actor=alice)
    with pytest.raises(PermissionDenied, match="Alice Agent is handling"):
        actions.reply(conversation, body="Ich auch", actor=bob)

    assert list(Message.objects.filter(direction="out").values_list("author", flat=True)) == [
        alice.pk
    ]


def test_the_second_agent_to_take_a_conversation_is_told_who_has_it(assignment_inbox, alice, bob):
    conversation = inbound(assignment_inbox).conversation
    assignment.assign_to_me(conversation, actor=alice)

    with pytest.raises(ActionRefused, match="Alice Agent has just taken"):
        assignment.assign_to_me(conversation, actor=bob)


def test_managers_reassign_unassign_and_take_in_either_mode(
    open_inbox, assignment_inbox, alice, bob, max_manager
):
    for inbox, member in ((open_inbox, alice), (assignment_inbox, bob)):
        conversation = inbound(inbox, address=f"+49 170 12345{inbox.pk:02d}").conversation
        assignment.assign(conversation, assignee=member, actor=max_manager)
        assignment.unassign(conversation, actor=max_manager)
        assignment.assign_to_me(conversation, actor=max_manager)
        conversation.refresh_from_db()
        assert conversation.assignee == max_manager
        kinds = list(conversation.events.values_list("kind", flat=True))
        assert kinds.count("assigned") == 2 and kinds.count("unassigned") == 1


def test_members_cannot_assign_others_or_assign_outsiders(
    assignment_inbox, alice, bob, max_manager, ada
):
    conversation = inbound(assignment_inbox).conversation
    stranger = UserFactory()  # a licensed user of no inbox

    with pytest.raises(PermissionDenied):
        assignment.assign(conversation, assignee=bob, actor=alice)
    with pytest.raises(ActionRefused, match="not a member"):
        assignment.assign(conversation, assignee=stranger, actor=max_manager)


def test_routing_hands_out_the_oldest_waiting_conversation_up_to_capacity(
    assignment_inbox, alice, max_manager
):
    now = timezone.now()
    newer = inbound(assignment_inbox, address="+49 170 1111111", received_at=now).conversation
    older = inbound(
        assignment_inbox, address="+49 170 2222222", received_at=now - timedelta(hours=1)
    ).conversation
    assignment.set_capacity(agent=alice, limit=1, actor=max_manager)

    first = assignment.route_next(agent=alice)

    assert first == older
    assert assignment.route_next(agent=alice) is None  # at capacity
    actions.set_status(first, status="resolved", actor=alice)
    assert assignment.route_next(agent=alice) == newer


# --- Comments ----------------------------------------------------------------------------------


def test_comments_are_append_only_even_for_a_direct_orm_update(open_inbox, alice):
    conversation = inbound(open_inbox).conversation
    comment = actions.add_comment(conversation, body="Kunde ist VIP.", actor=alice)

    with pytest.raises(DatabaseError), transaction.atomic():
        Comment.objects.filter(pk=comment.pk).update(body="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        Comment.objects.filter(pk=comment.pk).delete()

    assert Comment.objects.get(pk=comment.pk).body == "Kunde ist VIP."


def test_a_comment_on_one_message_and_no_comment_from_outsiders(open_inbox, alice, bob):
    message = inbound(open_inbox)

    comment = actions.add_comment(
        message.conversation, body="Siehe Rechnung.", actor=alice, message=message
    )

    assert comment.message == message
    with pytest.raises(PermissionDenied):
        actions.add_comment(message.conversation, body="Hi", actor=bob)


# --- Delivery -----------------------------------------------------------------------------------


def test_a_reply_is_queued_then_sent_once_even_if_the_task_runs_twice(
    open_inbox, alice, django_capture_on_commit_callbacks
):
    conversation = inbound(open_inbox).conversation
    with mock.patch(
        "inbox.channels.console.send",
        wraps=__import__("inbox.channels.console", fromlist=["send"]).send,
    ) as send:
        with django_capture_on_commit_callbacks(execute=True):
            message = actions.reply(conversation, body="Danke!", actor=alice)
        deliver_message(message.pk)

    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT and message.provider == "console"
    assert send.call_count == 1


def test_a_double_submitted_reply_is_stored_once(open_inbox, alice):
    import uuid

    conversation = inbound(open_inbox).conversation
    client_id = uuid.uuid4()

    first = actions.reply(conversation, body="Danke!", actor=alice, client_id=client_id)
    second = actions.reply(conversation, body="Danke!", actor=alice, client_id=client_id)

    assert first.pk == second.pk
    assert Message.objects.filter(direction="out").count() == 1


def test_the_sweeper_re_enqueues_replies_left_queued(open_inbox, alice):
    conversation = inbound(open_inbox).conversation
    with mock.patch("inbox.tasks.deliver_message.delay_on_commit"):
        message = actions.reply(conversation, body="Danke!", actor=alice)
    Message.objects.filter(pk=message.pk).update(due_at=timezone.now() - timedelta(minutes=5))

    assert sweep_queued_messages() == 1

    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT


def test_nothing_can_be_sent_to_a_blocked_contact(open_inbox, alice):
    conversation = inbound(open_inbox).conversation
    block_contact(conversation.contact, reason="Spam", actor=alice)
    conversation.refresh_from_db()

    with pytest.raises(PermissionDenied, match="blocked"):
        actions.reply(conversation, body="Hallo", actor=alice)


# --- Contacts and conversations -----------------------------------------------------------------


def test_link_unlink_and_relink_are_events(open_inbox, alice):
    conversation = inbound(open_inbox).conversation
    # A known sender (a temporary contact is confirmed by creating or promoting it instead).
    Contact.objects.filter(pk=conversation.contact_id).update(kind="identified")
    conversation.refresh_from_db()
    right = ContactFactory(kind="curated")

    linking.confirm_contact(conversation, actor=alice)
    linking.unlink_contact(conversation, actor=alice)
    linking.link_contact(conversation, contact=right, actor=alice)

    conversation.refresh_from_db()
    assert conversation.contact == right and conversation.contact_state == "confirmed"
    kinds = list(conversation.events.values_list("kind", flat=True))
    assert [k for k in kinds if k.startswith("contact")] == [
        "contact_confirmed",
        "contact_unlinked",
        "contact_linked",
    ]


def test_merging_moves_conversations_and_undo_moves_them_back(open_inbox, max_manager):
    survivor = ContactFactory(kind="curated")
    duplicate_conversation = inbound(open_inbox).conversation
    duplicate = duplicate_conversation.contact
    Contact.objects.filter(pk=duplicate.pk).update(kind="identified")
    duplicate.refresh_from_db()

    event = merge_contacts(survivor=survivor, absorbed=duplicate, choices={}, actor=max_manager)
    assert Conversation.objects.get(pk=duplicate_conversation.pk).contact == survivor

    undo_merge(event, actor=max_manager)
    assert Conversation.objects.get(pk=duplicate_conversation.pk).contact == duplicate


def test_deleting_a_contact_deletes_its_conversations_messages_comments_and_files(
    open_inbox, alice, ada, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from inbox.models import Attachment

    settings.MEDIA_ROOT = tmp_path
    message = inbound(open_inbox)
    actions.add_comment(message.conversation, body="Intern", actor=alice)
    attachment = Attachment(
        message=message, filename="scan.pdf", content_type="application/pdf", size=3
    )
    attachment.file.save("scan.pdf", ContentFile(b"pdf"), save=True)
    path = attachment.file.path

    with django_capture_on_commit_callbacks(execute=True):
        delete_contact(message.conversation.contact, actor=ada)

    assert (
        not Conversation.objects.exists()
        and not Message.objects.exists()
        and not Comment.objects.exists()
    )
    assert not __import__("os").path.exists(path)
    with pytest.raises(DatabaseError), transaction.atomic():
        # The permit existed only inside the deletion: comments are guarded again.
        other = inbound(open_inbox, address="+49 171 0000001").conversation
        Comment.objects.filter(pk=actions.add_comment(other, body="x", actor=alice).pk).delete()


def test_anonymising_keeps_conversation_counts_but_not_their_texts(open_inbox, alice, ada):
    message = inbound(open_inbox, body="Meine IBAN ist DE89 3704 0044 0532 0130 00")
    actions.add_comment(message.conversation, body="Kundin heißt Jana", actor=alice)

    anonymise_contact(message.conversation.contact, actor=ada)

    assert Message.objects.count() == 1 and Comment.objects.count() == 1
    assert "IBAN" not in Message.objects.get().body and "Jana" not in Comment.objects.get().body


def test_the_export_includes_conversations_and_comments(open_inbox, alice):
    message = inbound(open_inbox, body="Wo ist mein Paket?")
    actions.add_comment(message.conversation, body="Paket verloren", actor=alice)

    document = export_document(message.conversation.contact, alice)

    conversation = document["conversations"][0]
    assert conversation["messages"][0]["body"] == "Wo ist mein Paket?"
    assert conversation["comments"][0]["body"] == "Paket verloren"
    assert json.dumps(document, default=str)


def test_an_expired_ephemeral_contact_with_a_conversation_is_kept(open_inbox):
    contact = inbound(open_inbox).conversation.contact
    Contact.objects.filter(pk=contact.pk).update(expires_at=timezone.now() - timedelta(days=1))

    assert remove_expired_ephemeral_contacts() == 0
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_email_html_is_sanitised_before_it_is_stored(open_inbox):
    html = (
        '<p onclick="steal()">Hallo <b>Team</b></p><script>alert(1)</script>'
        '<a href="javascript:alert(2)">klick</a><a href="https://example.com">Shop</a>'
        '<img src="x" onerror="alert(3)"><style>body{}</style>'
    )

    message = inbound(
        open_inbox, address="kunde@example.de", channel="email", body="Hallo Team", html=html
    )

    stored = Message.objects.get(pk=message.pk).html
    for bad in ("<script", "onclick", "onerror", "javascript:", "<style"):
        assert bad not in stored
    assert "<b>Team</b>" in stored
    assert 'src="x"' not in stored
    assert 'href="https://example.com"' in stored and "noopener" in stored


def test_email_html_is_shown_only_in_a_sandboxed_frame(open_inbox, alice, client_for):
    from django.urls import reverse

    message = inbound(
        open_inbox,
        address="kunde@example.de",
        channel="email",
        body="x",
        html="<p>Hallo <i>du</i></p>",
    )

    page = (
        client_for(alice)
        .get(reverse("inbox:conversation", args=[message.conversation_id]))
        .content.decode()
    )

    assert '<iframe class="msg-html" sandbox=""' in page
    assert 'srcdoc="&lt;p&gt;Hallo &lt;i&gt;du&lt;/i&gt;&lt;/p&gt;"' in page
