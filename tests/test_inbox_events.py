"""Settings → Inboxes leave an audit trail: every change to an inbox writes an InboxEvent."""

from inbox.actions import assignment
from inbox.actions import settings as settings_actions
from inbox.models import ConversationEvent, InboxEvent
from tests.factories import inbound, inbox_with


def kinds(inbox):
    return list(inbox.events.order_by("id").values_list("kind", "actor__email", "data"))


def test_every_settings_change_of_an_inbox_is_recorded(ada, max_manager, alice):
    inbox = settings_actions.create_inbox(name="Support", mode="open", actor=ada)
    settings_actions.add_member(inbox, user=max_manager, role="manager", actor=ada)
    settings_actions.update_inbox(inbox, name="Support DE", mode="assignment", actor=max_manager)
    settings_actions.update_inbox(inbox, name="Support DE", mode="assignment", actor=max_manager)
    settings_actions.add_member(inbox, user=alice, role="member", actor=max_manager)
    settings_actions.change_role(inbox, user=alice, role="manager", actor=max_manager)
    channel = settings_actions.add_channel(
        inbox, kind="sms", address="+4940111222", label="", actor=max_manager
    )
    settings_actions.remove_channel(channel, actor=max_manager)
    settings_actions.remove_member(inbox, user=alice, actor=max_manager)

    assert kinds(inbox) == [
        ("created", "ada@nordlicht.example", {"name": "Support", "mode": "open"}),
        ("member_added", "ada@nordlicht.example", {"role": "manager"}),
        (
            "updated",
            "max@nordlicht.example",
            {"name": ["Support", "Support DE"], "mode": ["open", "assignment"]},
        ),
        ("member_added", "max@nordlicht.example", {"role": "member"}),
        ("role_changed", "max@nordlicht.example", {"old": "member", "new": "manager"}),
        ("channel_added", "max@nordlicht.example", {"channel": "sms", "address": "+4940111222"}),
        ("channel_removed", "max@nordlicht.example", {"channel": "sms", "address": "+4940111222"}),
        ("member_removed", "max@nordlicht.example", {"handed_back": 0}),
    ]
    assert InboxEvent.objects.filter(kind="role_changed").get().user == alice


def test_removing_a_member_hands_back_their_conversations_with_an_event_each(max_manager, alice):
    inbox = inbox_with("Support", "assignment", members=[alice], managers=[max_manager])
    conversations = [inbound(inbox, f"+49 170 99999{n:02d}").conversation for n in range(3)]
    for conversation in conversations:
        assignment.assign_to_me(conversation, actor=alice)

    assert settings_actions.remove_member(inbox, user=alice, actor=max_manager) == 3
    handed_back = ConversationEvent.objects.filter(kind="unassigned")
    assert sorted(handed_back.values_list("conversation_id", flat=True)) == sorted(
        c.pk for c in conversations
    )
    assert all(
        e.data == {"previous": alice.pk, "reason": "removed_from_inbox"} for e in handed_back
    )
