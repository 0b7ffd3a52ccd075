from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact, Identity


class InboxMode(models.TextChoices):
    OPEN = "open", _("Open: every member may answer")
    ASSIGNMENT = "assignment", _("Assignment: assign to yourself before answering")


class Inbox(models.Model):
    name = models.CharField(_("name"), max_length=100)
    mode = models.CharField(
        _("mode"), max_length=16, choices=InboxMode.choices, default=InboxMode.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("inbox")
        verbose_name_plural = _("inboxes")

    def __str__(self) -> str:
        return self.name

    @property
    def is_assignment_mode(self) -> bool:
        return self.mode == InboxMode.ASSIGNMENT


class InboxRole(models.TextChoices):
    MEMBER = "member", _("Team member")
    MANAGER = "manager", _("Manager")


class Membership(models.Model):
    """A user's role in one inbox. Organisation admins count as managers of every inbox."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        _("role"), max_length=16, choices=InboxRole.choices, default=InboxRole.MEMBER
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inbox", "user"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.inbox} ({self.role})"


class AgentCapacity(models.Model):
    """How many open conversations routing mode hands an agent at most (managers set it)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="capacity"
    )
    limit = models.PositiveSmallIntegerField(_("capacity"), default=5)

    DEFAULT = 5

    def __str__(self) -> str:
        return f"{self.user}: {self.limit}"


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("E-mail")


class InboxChannel(models.Model):
    """A phone number or e-mail address an inbox owns: inbound messages to it land in the inbox,
    replies go out from it. Credentials never live here; they come from the environment."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    address = models.CharField(
        _("address"),
        max_length=254,
        help_text=_("A phone number in international format, or an e-mail address."),
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "address"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        constraints = [
            models.UniqueConstraint(fields=["kind", "address"], name="inboxchannel_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.address}"


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")


class ContactState(models.TextChoices):
    LINKED = "linked", _("Linked")
    CONFIRMED = "confirmed", _("Confirmed")
    TO_CONFIRM = "to_confirm", _("Contact to confirm")
    UNLINKED = "unlinked", _("No contact")


class Counter(models.Model):
    """A named, gap-tolerant sequence (conversation numbers). Incremented under a row lock
    inside the transaction that uses the number, so two webhooks never share one."""

    name = models.CharField(max_length=50, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class ConversationQuerySet(models.QuerySet["Conversation"]):
    def visible_to(self, user: Any) -> "ConversationQuerySet":
        """Conversations of the user's inboxes; everything for holders of
        "view conversations of all inboxes" (admins by default)."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("contacts.view_all_inboxes"):
            return self.all()
        # A literal id list (one tiny query) instead of a join on memberships: the planner
        # then estimates the rows well and walks the recency index (benchmarks/README.md).
        inbox_ids = list(Membership.objects.filter(user=user).values_list("inbox_id", flat=True))
        return self.filter(inbox_id__in=inbox_ids)

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
            models.Index(fields=["-last_message_at", "-id"], name="conv_recent_idx"),
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

    def touch(self) -> None:
        """Mark the conversation changed, for the live "what changed since" poll."""
        self.updated_at = timezone.now()


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown")


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    body = models.TextField(blank=True)
    html = models.TextField(
        blank=True, help_text=_("Sanitised e-mail HTML, shown in a sandboxed frame.")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.CharField(max_length=32, blank=True)
    # NULL, not "", until the provider has accepted the message: the unique constraint below
    # must not treat all unsent messages as the same provider id.
    provider_message_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices)
    error = models.CharField(max_length=300, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    # Outbound delivery: how often it was tried, when the next try is due (the sweeper
    # re-enqueues queued rows whose time has passed) and when the last try started.
    attempts = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    client_id = models.UUIDField(null=True, blank=True, unique=True)
    is_flagged = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_message_id"],
                name="message_provider_id_unique",
                condition=Q(provider_message_id__isnull=False),
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="message_thread_idx"),
            models.Index(fields=["due_at"], name="message_due_idx", condition=Q(status="queued")),
            models.Index(
                fields=["attempted_at"],
                name="message_sending_idx",
                condition=Q(status="sending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.pk}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.message.conversation_id}/{instance.message_id}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300, blank=True)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    # Provider media (MMS, WhatsApp) is fetched by a task: until then `file` is empty.
    source_url = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["id"],
                name="attachment_pending_idx",
                condition=Q(file="") & ~Q(source_url="") & Q(error=""),
            )
        ]

    def __str__(self) -> str:
        return self.filename


class Comment(models.Model):
    """An internal remark on a conversation or one of its messages. Append-only: database
    triggers refuse UPDATE and DELETE except inside an erasure (contact deletion)."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="comments"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
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

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

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


class InboundEvent(models.Model):
    """A provider's inbound webhook, stored as received before any routing (DESIGN.md §6:
    verify, store, enqueue). Unique per provider id, so a replay stores nothing; a task turns
    it into a message (`inbox.inbound`), and the sweeper retries events left unprocessed."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=200)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="inboundevent_unique")
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                name="inboundevent_pending_idx",
                condition=Q(processed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}"
