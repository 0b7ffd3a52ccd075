"""Conversations (cases), with what happens to them: events, internal comments and read
markers."""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact, Identity
from inbox.models.inboxes import Channel, Inbox, InboxChannel, Membership, inbox_stamp_keys
from lib import stamps
from lib.bulk import update_each


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")


class ContactState(models.TextChoices):
    LINKED = "linked", _("Linked")
    CONFIRMED = "confirmed", _("Confirmed")
    TO_CONFIRM = "to_confirm", _("Contact to confirm")
    UNLINKED = "unlinked", _("No contact")


# On PostgreSQL conversation numbers come from this sequence (migration 0016), which
# locks nothing; the Counter row below is SQLite's (inbox.actions.next_numbers).
CONVERSATION_NUMBERS = "inbox_conversation_number_seq"


class Counter(models.Model):
    """A named, gap-tolerant sequence (conversation numbers where there is no PostgreSQL
    sequence). Incremented under a row lock inside the transaction that uses the number,
    so two webhooks never share one."""

    name = models.CharField(max_length=50, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


def conversation_stamp_key(conversation_id: int) -> str:
    """The stamp of one conversation, for a reader that watches only its own (the web chat
    widget: a visitor's poll must not wake for every change in a busy inbox)."""
    return f"conversation:{conversation_id}"


class ConversationQuerySet(models.QuerySet["Conversation"]):
    def touch(self, *, in_inboxes: Any = None, **changes: Any) -> int:
        """Update `changes` on these conversations and mark them changed for the live poll:
        `updated_at` now, and their inboxes' stamps once the transaction commits. A caller
        that knows the inboxes names them (`in_inboxes`), saving the query that finds them;
        a conditional update that changed no row moves no stamp. Returns the rows updated."""
        # Without the inboxes, the query that finds them finds the conversations too, whose
        # own stamps move then as well (a reply's delivery status, the widget's thread).
        rows = list(self.values_list("pk", "inbox_id")) if in_inboxes is None else []
        inbox_ids = {inbox_id for _pk, inbox_id in rows} if in_inboxes is None else set(in_inboxes)
        if not inbox_ids:
            return 0
        updated = self.update(updated_at=timezone.now(), **changes)
        if updated:
            own = [conversation_stamp_key(pk) for pk, _inbox_id in rows]
            stamps.bump_on_commit([*inbox_stamp_keys(inbox_ids), *own])
        return updated

    def touch_each(self, conversations: list["Conversation"], fields: list[str]) -> None:
        """touch() for loaded conversations whose `fields` the caller changed in memory, each
        to its own values (a routed batch of messages): one UPDATE for all of them, and
        their inboxes' and own stamps once the transaction commits."""
        if not conversations:
            return
        now = timezone.now()
        for conversation in conversations:
            conversation.updated_at = now
        update_each(conversations, [*fields, "updated_at"])
        inbox_ids = {conversation.inbox_id for conversation in conversations}
        own = [conversation_stamp_key(conversation.pk) for conversation in conversations]
        stamps.bump_on_commit([*inbox_stamp_keys(inbox_ids), *own])

    def visible_to(self, user: Any) -> "ConversationQuerySet":
        """Conversations of the user's inboxes; everything for holders of
        "view conversations of all inboxes" (admins by default)."""
        if not user.is_authenticated:
            return self.none()
        scope = Membership.objects.scope_for(user)
        if scope.all_inboxes:
            return self.all()
        # A literal id list (from the request's memoised scope) instead of a join on
        # memberships: the planner then estimates the rows well and walks the recency index
        # (benchmarks/README.md).
        return self.filter(inbox_id__in=scope.inbox_ids)

    def with_read_at(self, user: Any) -> "ConversationQuerySet":
        """Annotate `read_at`: when `user` last opened each conversation (None: never)."""
        read_at = ReadMarker.objects.filter(user=user, conversation=OuterRef("pk")).values(
            "read_at"
        )
        return self.annotate(read_at=Subquery(read_at[:1]))

    def unread_by(self, user: Any) -> "ConversationQuerySet":
        """Open and waiting for an answer, in `user`'s own conversations or in Unassigned,
        with a customer message newer than when `user` last opened it: the unread count and
        the notifications (inbox.notifications). Replies clear `waiting_since`, so what the
        user does never counts. Narrow to `visible_to(user)` first."""
        opened_since = ReadMarker.objects.filter(
            user=user, conversation=OuterRef("pk"), read_at__gte=OuterRef("last_message_at")
        )
        return self.filter(
            Q(assignee=user) | Q(assignee__isnull=True),
            status=ConversationStatus.OPEN,
            waiting_since__isnull=False,
            is_flagged=False,
        ).exclude(Exists(opened_since))

    def waiting(self) -> "ConversationQuerySet":
        """Open, unassigned, waiting for an answer and routable (not from a blocked sender)."""
        return self.filter(
            status=ConversationStatus.OPEN,
            assignee__isnull=True,
            waiting_since__isnull=False,
            is_flagged=False,
        )


class Conversation(models.Model):
    """A case: one thread between the organisation and a contact in one inbox and channel."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="conversations")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="conversations"
    )
    contact_state = models.CharField(
        max_length=16, choices=ContactState.choices, default=ContactState.LINKED
    )
    # Several contacts matched the sender: the agent picks one of these.
    candidate_ids = models.JSONField(default=list, blank=True)
    identity = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    address = models.CharField(
        _("address"), max_length=320, help_text=_("The sender's normalised address.")
    )
    # Our number or address the customer wrote to; replies go out from it.
    inbox_channel = models.ForeignKey(
        InboxChannel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    number = models.PositiveBigIntegerField(_("number"), unique=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ConversationStatus.choices,
        default=ConversationStatus.OPEN,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    is_flagged = models.BooleanField(
        default=False, help_text=_("From a blocked sender: kept, not routed.")
    )
    last_message_at = models.DateTimeField(default=timezone.now)
    last_message_preview = models.CharField(max_length=200, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects: ClassVar[ConversationQuerySet] = ConversationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            # It carries inbox and contact so that a search walking the list newest first
            # (inbox.search: a common name, a common word) reads only the index.
            models.Index(
                fields=["-last_message_at", "-id"],
                name="conv_recent_cover_idx",
                include=["inbox", "contact"],
            ),
            models.Index(fields=["inbox", "-last_message_at", "-id"], name="conv_inbox_recent_idx"),
            models.Index(
                fields=["assignee", "-last_message_at", "-id"], name="conv_assignee_recent_idx"
            ),
            models.Index(
                fields=["assignee", "status", "-last_message_at", "-id"], name="conv_assignee_idx"
            ),
            models.Index(
                fields=["inbox", "waiting_since", "id"],
                name="conv_waiting_idx",
                condition=Q(
                    status="open",
                    assignee__isnull=True,
                    waiting_since__isnull=False,
                    is_flagged=False,
                ),
            ),
            models.Index(
                fields=["contact", "inbox", "channel", "status"], name="conv_continue_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number}"

    @property
    def is_blocked(self) -> bool:
        """From a blocked sender, or its contact is blocked now: nothing may be sent to it
        (load it with its contact)."""
        return self.is_flagged or bool(self.contact and self.contact.is_blocked)

    def is_unread_by(self, user: Any) -> bool:
        """What `ConversationQuerySet.unread_by` says of this one conversation, from its
        fields and its `read_at` for `user` (ConversationQuerySet.with_read_at)."""
        read_at = getattr(self, "read_at", None)
        return (
            self.assignee_id in (user.pk, None)
            and self.status == ConversationStatus.OPEN
            and self.waiting_since is not None
            and not self.is_flagged
            and (read_at is None or read_at < self.last_message_at)
        )

    def touch(self, **changes: Any) -> None:
        """Save `changes` (field values) and mark the conversation changed for the live poll:
        `updated_at` now, and its inbox's stamp once the transaction commits. Every change
        an agent should see live goes through here."""
        changes["updated_at"] = timezone.now()
        Conversation.objects.filter(pk=self.pk).update(**changes)
        for name, value in changes.items():
            setattr(self, name, value)
        stamps.bump_on_commit([*inbox_stamp_keys([self.inbox_id]), conversation_stamp_key(self.pk)])


class Comment(models.Model):
    """An internal remark on a conversation or one of its messages. Append-only: database
    triggers refuse UPDATE and DELETE except inside an erasure (contact deletion)."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="comments"
    )
    message = models.ForeignKey(
        "inbox.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="comment_thread_idx")]

    def __str__(self) -> str:
        return self.body[:50]


class ErasurePermit(models.Model):
    """A row that exists only inside a transaction that erases personal data; the comment
    triggers allow deleting comments while one exists (no other transaction can see it)."""

    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"erasure permit {self.pk}"


class ConversationEventQuerySet(models.QuerySet["ConversationEvent"]):
    def record(
        self, conversation: Any, kind: str, *, actor: Any = None, **data: Any
    ) -> "ConversationEvent":
        """Write one event of `conversation` (an instance or its id): the one way every
        action leaves its row (STYLE.md: every state change leaves a row)."""
        key = "conversation" if isinstance(conversation, Conversation) else "conversation_id"
        return self.create(**{key: conversation}, kind=kind, actor=actor, data=data)

    def record_many(
        self, conversation_ids: Any, kind: str, *, actor: Any = None, **data: Any
    ) -> None:
        """The same event for many conversations, in one statement."""
        self.bulk_create(
            self.model(conversation_id=pk, kind=kind, actor=actor, data=data)
            for pk in conversation_ids
        )


class ConversationEvent(models.Model):
    class Kind(models.TextChoices):
        CREATED = "created", _("Conversation started")
        ASSIGNED = "assigned", _("Assigned")
        UNASSIGNED = "unassigned", _("Unassigned")
        STATUS = "status", _("Status changed")
        CONTACT_LINKED = "contact_linked", _("Contact linked")
        CONTACT_UNLINKED = "contact_unlinked", _("Contact unlinked")
        CONTACT_CONFIRMED = "contact_confirmed", _("Contact confirmed")
        REPLY_SENT = "reply_sent", _("Reply sent")
        DELIVERY_FAILED = "delivery_failed", _("Delivery failed")
        # The sender left or rejoined campaigns on this channel (a keyword, an agent, the
        # provider); the row itself is a contacts.consent.OptOut.
        OPTED_OUT = "opted_out", _("Opted out of campaigns")
        OPTED_IN = "opted_in", _("Subscribed to campaigns again")
        CAMPAIGN_REPLY = "campaign_reply", _("Answer to a campaign")
        # A survey (the surveys app) asked the customer, or the customer answered it; the
        # data holds what the thread shows (kind, score, scale), the rows are the survey's.
        SURVEY_SENT = "survey_sent", _("Survey sent")
        SURVEY_ANSWERED = "survey_answered", _("Survey answered")
        # A label (inbox.models.labels) put on or taken off; the data names it as it was.
        LABEL_ADDED = "label_added", _("Label added")
        LABEL_REMOVED = "label_removed", _("Label removed")
        # The web chat (the webchat app): a signed-in visitor whose token names another
        # e-mail address than the contact's on file; a visitor who left an e-mail address.
        WEB_EMAIL_MISMATCH = (
            "web_email_mismatch",
            _("The visitor signed in with an e-mail address the contact does not have"),
        )
        WEB_EMAIL_LEFT = "web_email_left", _("The visitor left an e-mail address for the answer")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[ConversationEventQuerySet] = ConversationEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="convevent_thread_idx")]

    def __str__(self) -> str:
        return self.get_kind_display()


class ReadMarker(models.Model):
    """When a user last opened a conversation: newer inbound messages make it unread."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="read_markers"
    )
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "conversation"], name="readmarker_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.conversation} at {self.read_at}"
