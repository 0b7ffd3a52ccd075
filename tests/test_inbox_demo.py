"""seed_demo's inboxes: two inboxes with members of each role, a few hundred hand-made
conversations created once, and bulk volume on request."""

from collections import defaultdict

from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from contacts.models import Contact, ContactKind
from inbox.actions import next_number
from inbox.actions.assignment import capacity_of, open_load, route_next
from inbox.models import (
    Conversation,
    ConversationEvent,
    ConversationStatus,
    Direction,
    Inbox,
    InboxMode,
    InboxRole,
    Membership,
    Message,
)


def snapshot() -> dict[str, object]:
    return {
        "inboxes": sorted(Inbox.objects.values_list("id", "name", "mode")),
        "memberships": sorted(Membership.objects.values_list("inbox_id", "user_id", "role")),
        "conversations": sorted(Conversation.objects.values_list("id", "status", "assignee_id")),
        "messages": Message.objects.count(),
    }


def test_seed_demo_creates_both_inboxes_with_realistic_conversations(db, settings):
    settings.DEBUG = True

    call_command("seed_demo")

    service, sales = Inbox.objects.get(name="Kundenservice"), Inbox.objects.get(name="Vertrieb")
    assert (service.mode, sales.mode) == (InboxMode.OPEN, InboxMode.ASSIGNMENT)
    roles = set(Membership.objects.values_list("inbox__name", "user__email", "role"))
    assert ("Vertrieb", "manager@nordlicht.example", InboxRole.MANAGER) in roles
    assert ("Kundenservice", "anna@nordlicht.example", InboxRole.MEMBER) in roles
    assert ("Vertrieb", "erik@nordlicht.example", InboxRole.MEMBER) in roles
    assert not Membership.objects.filter(inbox=service, user__email="erik@nordlicht.example")

    conversations = Conversation.objects.all()
    assert 200 <= conversations.count() <= 300
    assert {c for (c,) in conversations.values_list("channel").distinct()} == {
        "sms",
        "whatsapp",
        "email",
    }
    statuses = dict(conversations.values_list("status").annotate(n=Count("id")))
    assert all(statuses.get(status, 0) >= 5 for status in ConversationStatus.values)
    assert conversations.filter(assignee__isnull=False).count() >= 20
    assert conversations.waiting().filter(inbox=sales).exists()
    assert conversations.filter(contact__kind=ContactKind.EPHEMERAL).exists()
    assert Message.objects.filter(direction=Direction.OUTBOUND, status="delivered").exists()
    assert Message.objects.filter(body__contains="Bestellung").exists()
    assert Message.objects.filter(body__contains="Tack").exists()
    oldest = Message.objects.order_by("created_at").first()
    assert oldest is not None and (conversations.first().created_at - oldest.created_at).days < 31
    # In assignment mode only the assignee answers.
    for message in Message.objects.filter(
        conversation__inbox=sales, direction=Direction.OUTBOUND
    ).select_related("conversation"):
        assert message.author_id == message.conversation.assignee_id


def test_seed_demo_twice_changes_nothing(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    before = snapshot()

    call_command("seed_demo")

    assert snapshot() == before


def test_bulk_conversations_take_new_numbers_and_existing_contacts(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    before = Conversation.objects.count()
    highest = Conversation.objects.order_by("-number").values_list("number", flat=True)[0]

    call_command("seed_demo", "--conversations", "60", "--messages-per", "4")

    added = Conversation.objects.order_by("-number")[:60]
    assert Conversation.objects.count() == before + 60
    # From the numbers' sequence (the counter row on SQLite), taken once for all: 60 new ones,
    # each above every number before, and the next conversation's above them.
    assert sorted(c.number for c in added) == list(range(highest + 1, highest + 61))
    assert next_number() == highest + 61
    for conversation in added:
        assert conversation.contact_id is not None
        assert conversation.messages.exists()
        first = conversation.messages.order_by("created_at", "id").first()
        assert first.direction == Direction.INBOUND
    total = Message.objects.filter(conversation__in=list(added)).count()
    assert 60 <= total <= 60 * 12


def test_the_demo_inboxes_own_numbers_and_addresses(db):
    from demo.inbox import seed_inboxes
    from inbox.models import InboxChannel

    seed_inboxes()
    seed_inboxes()

    owned = set(InboxChannel.objects.values_list("inbox__name", "kind"))
    assert ("Kundenservice", "sms") in owned and ("Kundenservice", "email") in owned
    assert InboxChannel.objects.count() == 6


def test_seed_demo_conversations_tell_their_story_in_time_order(db, settings):
    """ "Conversation started" with the first message (never after it), "Assigned" no later
    than the assignee's first reply, the status change after the last message; nothing
    happens after the seed ran, and a conversation's last change is its last event."""
    settings.DEBUG = True
    call_command("seed_demo")
    now = timezone.now()

    messages = defaultdict(list)
    for conversation_id, at, direction, author in Message.objects.values_list(
        "conversation_id", "created_at", "direction", "author_id"
    ):
        messages[conversation_id].append((at, direction, author))
    events = defaultdict(list)
    for conversation_id, at, kind, data in ConversationEvent.objects.values_list(
        "conversation_id", "created_at", "kind", "data"
    ):
        events[conversation_id].append((at, kind, data))

    for conversation in Conversation.objects.select_related("inbox"):
        thread, story = sorted(messages[conversation.pk]), sorted(events[conversation.pk])
        assert thread and story, conversation
        started = [at for at, kind, _data in story if kind == ConversationEvent.Kind.CREATED]
        assert started == [conversation.created_at]
        assert conversation.created_at <= thread[0][0]
        assert all(conversation.created_at <= at <= now for at, _kind, _data in story)
        assert conversation.updated_at == max(story[-1][0], thread[-1][0])
        for at, kind, _data in story:
            if kind == ConversationEvent.Kind.STATUS:
                assert at >= thread[-1][0], "a status change before the last message"
        if conversation.inbox.is_assignment_mode and conversation.assignee_id:
            assigned = min(
                at
                for at, kind, data in story
                if kind == ConversationEvent.Kind.ASSIGNED
                and data["assignee"] == conversation.assignee_id
            )
            replies = [at for at, direction, _author in thread if direction == Direction.OUTBOUND]
            assert all(assigned <= at for at in replies)


def test_seed_demo_agents_hold_open_conversations_within_their_capacity(db, settings):
    """No "23 of 5 open": every agent holds fewer open conversations than their routing
    capacity, so routing mode still hands them the next one; the rest waits unassigned."""
    settings.DEBUG = True
    call_command("seed_demo")

    agents = User.objects.filter(memberships__isnull=False).distinct()
    assert agents.count() == 3
    for agent in agents:
        assert 1 <= open_load(agent) < capacity_of(agent), agent
    assert Conversation.objects.waiting().count() >= 10
    anna = User.objects.get(email="anna@nordlicht.example")
    assert route_next(agent=anna) is not None


def test_seed_demo_has_a_message_from_a_shared_landline_waiting_for_the_chooser(db, settings):
    """The newest conversation comes from the Brandts' landline, which both hold: it waits,
    linked to nobody yet, with both as the candidates the panel's chooser offers."""
    settings.DEBUG = True
    call_command("seed_demo")

    newest = Conversation.objects.order_by("-created_at").select_related("inbox").first()
    assert newest is not None and newest.inbox.name == "Kundenservice"
    assert (newest.status, newest.contact_state, newest.contact_id) == ("open", "to_confirm", None)
    candidates = Contact.objects.filter(pk__in=newest.candidate_ids)
    assert sorted(candidates.values_list("first_name", "last_name")) == [
        ("Peter", "Brandt"),
        ("Ulrike", "Brandt"),
    ]
