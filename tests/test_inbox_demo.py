"""seed_demo's inboxes: two inboxes with members of each role, a few hundred hand-made
conversations created once, and bulk volume on request."""

from django.core.management import call_command
from django.db.models import Count

from contacts.models import ContactKind
from inbox.models import (
    Conversation,
    ConversationStatus,
    Counter,
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


def test_bulk_conversations_use_the_counter_and_existing_contacts(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    before = Conversation.objects.count()
    counter = Counter.objects.get(name="conversation").value

    call_command("seed_demo", "--conversations", "60", "--messages-per", "4")

    added = Conversation.objects.order_by("-number")[:60]
    assert Conversation.objects.count() == before + 60
    assert Counter.objects.get(name="conversation").value == counter + 60
    assert sorted(c.number for c in added) == list(range(counter + 1, counter + 61))
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
