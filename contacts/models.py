from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.identities import (
    CHANNEL_KINDS,
    IdentityKind,
    format_phone,
    looks_like_email,
    looks_like_phone,
    normalise_email,
    normalise_phone,
)
from lib.cached import cached, forget_on_commit

MIN_SEARCH_LENGTH = 3


class ContactKind(models.TextChoices):
    EPHEMERAL = "ephemeral", _("Ephemeral")
    IDENTIFIED = "identified", _("Identified")
    CURATED = "curated", _("Curated")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    DIVERSE = "diverse", _("Diverse")
    UNDISCLOSED = "undisclosed", _("Prefers not to say")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class ContactQuerySet(models.QuerySet["Contact"]):
    def active(self) -> "ContactQuerySet":
        """Contacts that exist for users: not folded into another by a merge."""
        return self.filter(merged_into__isnull=True)

    def visible_to(self, user: Any) -> "ContactQuerySet":
        """What `user` may see: every active contact with the view permission, else none."""
        if not user.is_authenticated or not user.has_perm("contacts.view_contact"):
            return self.none()
        return self.active()

    def search(self, query: str) -> "ContactQuerySet":
        """Contacts matching `query`: an e-mail address or phone number goes to the exact
        identity index; anything else is a substring of name or company (trigram index on
        PostgreSQL). Callers require at least MIN_SEARCH_LENGTH characters."""
        query = query.strip()
        if not query:
            return self
        if looks_like_email(query) or looks_like_phone(query):
            channel = "email" if looks_like_email(query) else "phone"
            try:
                normalised = (normalise_email if channel == "email" else normalise_phone)(query)
            except ValidationError:
                return self.none()
            owners = Identity.objects.filter(
                kind__in=CHANNEL_KINDS[channel], normalised=normalised
            ).values("contact_id")
            return self.filter(pk__in=owners)
        return self.filter(search_text__contains=query.lower())

    def expired_ephemeral(self, now: Any = None) -> "ContactQuerySet":
        now = now or timezone.now()
        expired = self.filter(kind=ContactKind.EPHEMERAL, expires_at__lte=now)
        # Conversations (the inbox app) keep a contact alive; contacts cannot import inbox,
        # so the reverse relation is used when it exists.
        if hasattr(self.model, "conversations"):
            expired = expired.filter(**{"conversations__isnull": True})
        return expired


class Contact(models.Model):
    """A person the organisation talks to; every identifier and conversation hangs off it."""

    kind = models.CharField(
        _("kind"), max_length=16, choices=ContactKind.choices, default=ContactKind.IDENTIFIED
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    gender = models.CharField(_("gender"), max_length=16, choices=Gender.choices, blank=True)
    account_id = models.CharField(_("account ID"), max_length=100, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts", verbose_name=_("tags"))
    attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
    # Who or what last wrote each attribute, by key: {"by": a user's or token's name or an
    # import's file, "writer": agent|crm|import, "at": ISO time} (contacts.provenance). The
    # panel's "from CRM" mark and its last-sync time read it without a query.
    # db_default: rows written by COPY (demo.synthetic_contacts) get an empty one too.
    provenance = models.JSONField(default=dict, db_default={}, blank=True, editable=False)

    is_blocked = models.BooleanField(_("blocked"), default=False)
    blocked_reason = models.CharField(_("reason for blocking"), max_length=300, blank=True)
    blocked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="absorbed"
    )
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every action that changes the profile or identities; a merge can be undone
    # only while the survivor's version is the one the merge left behind.
    version = models.PositiveIntegerField(default=1)
    # Lower-cased name and company, kept by save(); searched with a trigram index on PostgreSQL.
    search_text = models.TextField(default="", blank=True, editable=False)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    last_activity_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[ContactQuerySet] = ContactQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        permissions = [
            ("merge_contact", _("Can merge contacts")),
            ("promote_contact", _("Can promote ephemeral contacts")),
            ("link_conversation", _("Can link a conversation to a contact")),
            ("view_all_inboxes", _("Can view conversations of all inboxes")),
        ]
        indexes = [
            # The contacts list walks this index newest first; it carries search_text so that a
            # name search that skips thousands of rows to fill a page reads only the index
            # (contacts.views.index reads the page's ids first, then their rows).
            models.Index(
                fields=["-last_activity_at", "-id"],
                name="contact_activity_search_idx",
                condition=Q(merged_into__isnull=True),
                include=["search_text"],
            ),
            models.Index(
                fields=["expires_at"],
                name="contact_ephemeral_expiry_idx",
                condition=Q(kind="ephemeral"),
            ),
            # The API's contact list walks (updated_at, id) pages (api.routers.contacts).
            models.Index(fields=["updated_at", "id"], name="contact_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_text = self.compute_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text", "updated_at"}
        super().save(*args, **kwargs)

    def compute_search_text(self) -> str:
        parts = [self.first_name, self.last_name, self.company]
        return " ".join(part.strip().lower() for part in parts if part and part.strip())

    @property
    def full_name(self) -> str:
        return " ".join(p for p in [self.first_name, self.last_name] if p).strip()

    @property
    def display_name(self) -> str:
        return self.full_name or self.company or _("Unknown contact #%(id)s") % {"id": self.pk}

    @property
    def initials(self) -> str:
        letters = "".join(p[0] for p in [self.first_name, self.last_name] if p)
        return (letters or (self.company[:1] if self.company else "?")).upper()

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class IdentitySource(models.TextChoices):
    INBOUND = "inbound", _("Inbound message")
    AGENT = "agent", _("Added by an agent")
    IMPORT = "import", _("Import")
    CRM = "crm", _("CRM")


class IdentityQuerySet(models.QuerySet["Identity"]):
    def holding(self, kind: str, normalised: str) -> "IdentityQuerySet":
        """Every row of one address: its owner's, or each sharer's (the address index)."""
        return self.filter(kind=kind, normalised=normalised)


class Identity(models.Model):
    """One identifier of a contact. An address has one owner, unless agents chose to share
    it ("Share it": a family landline, a company switchboard, an info@ mailbox): then every
    sharer has its own row, marked `shared`. One row per (contact, kind, normalised)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=16, choices=IdentityKind.choices)
    value = models.CharField(_("as given"), max_length=320)
    normalised = models.CharField(_("normalised"), max_length=320)
    verified = models.BooleanField(_("verified"), default=False)
    source = models.CharField(
        _("source"), max_length=16, choices=IdentitySource.choices, default=IdentitySource.AGENT
    )
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    # Several contacts hold this address (contacts.sharing keeps it true of every row of the
    # address, and of no row that is the address's only one among active contacts).
    shared = models.BooleanField(_("shared"), default=False, db_default=False)

    objects: ClassVar[IdentityQuerySet] = IdentityQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("identifier")
        verbose_name_plural = _("identifiers")
        ordering = ["kind", "id"]
        constraints = [
            # Leading (kind, normalised): the index that matching uses, shared rows included.
            models.UniqueConstraint(
                fields=["kind", "normalised", "contact"], name="identity_unique_per_contact"
            ),
            # An address nobody chose to share still has one owner: two first messages from
            # an unknown sender at once make one contact, a batch racing another one conflict.
            models.UniqueConstraint(
                fields=["kind", "normalised"],
                condition=Q(shared=False),
                name="identity_unique_unshared",
            ),
        ]
        indexes = [models.Index(fields=["normalised"], name="identity_normalised_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.display_value}"

    @property
    def display_value(self) -> str:
        if self.kind in (IdentityKind.PHONE, IdentityKind.WHATSAPP):
            return format_phone(self.normalised)
        return self.normalised


class AttributeType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    URL = "url", _("URL")
    CHOICE = "choice", _("Choice")
    BOOLEAN = "boolean", _("Yes/no")


DEFINITIONS_KEY = "attribute-definitions"
# The built-in attributes' labels, in the user's language (custom ones carry their own).
BUILTIN_LABELS = {
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "email": _("E-mail"),
    "phone": _("Phone"),
    "company": _("Company"),
    "job_title": _("Job title"),
    "gender": _("Gender"),
    "account_id": _("Account ID"),
    "tags": _("Tags"),
    "remarks": _("Remarks"),
}


class AttributeOwner(models.TextChoices):
    AGENTS = "agents", _("Agents")
    CRM = "crm", _("CRM")


class AttributeDefinitionQuerySet(models.QuerySet["AttributeDefinition"]):
    def in_order(self) -> "AttributeDefinitionQuerySet":
        """The admin's order (Settings → Agent workspace → Contact attributes)."""
        return self.order_by("position", "id")

    def all_cached(self) -> list["AttributeDefinition"]:
        """Every definition in the admin's order, from the cache: the contact panel reads
        them on every page, admins change them now and then (`changed()`)."""
        return cached(DEFINITIONS_KEY, lambda: list(self.in_order()))

    def changed(self) -> None:
        """Definitions were added, changed, reordered or removed in this transaction."""
        forget_on_commit(DEFINITIONS_KEY)


class AttributeDefinition(models.Model):
    """One attribute in the contact panel: built in (a Contact field or its identities) or
    custom (a key in Contact.attributes). Admins order them and choose what agents see."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=16, choices=AttributeType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    visible = models.BooleanField(_("visible to agents"), default=True)
    agent_editable = models.BooleanField(_("agents may edit"), default=True)
    read_only = models.BooleanField(
        _("read-only"),
        default=False,
        help_text=_("Filled by an integration; nobody edits it here."),
    )
    owner = models.CharField(
        _("owner"),
        max_length=16,
        choices=AttributeOwner.choices,
        default=AttributeOwner.AGENTS,
        help_text=_(
            "Agents: agents and admins fill it; the CRM may fill it while it is empty but "
            "never overwrites it. CRM: only API tokens with the scope attributes:write_crm "
            "write it; agents see it read-only, marked “from CRM”."
        ),
    )
    is_builtin = models.BooleanField(default=False, editable=False)
    # Used in messages when a contact has no value (seed 003 "Standardwert"); a template's own
    # `| default:` comes first.
    default_value = models.CharField(
        _("default value"),
        max_length=200,
        blank=True,
        help_text=_("Inserted in messages when a contact has no value."),
    )

    objects: ClassVar[AttributeDefinitionQuerySet] = AttributeDefinitionQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("contact attribute")
        verbose_name_plural = _("contact attributes")

    def __str__(self) -> str:
        return str(self.display_label)

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        AttributeDefinition.objects.changed()

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        deleted = super().delete(*args, **kwargs)
        AttributeDefinition.objects.changed()
        return deleted

    @property
    def display_label(self) -> str:
        return str(BUILTIN_LABELS.get(self.key, self.label)) if self.is_builtin else self.label

    @property
    def is_crm_owned(self) -> bool:
        return self.owner == AttributeOwner.CRM


class Note(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contact", "-created_at", "-id"], name="note_contact_idx")]

    def __str__(self) -> str:
        return self.body[:50]


class NoteRevision(models.Model):
    """The text a note had before an edit: edits never lose what was written."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-replaced_at", "-id"]

    def __str__(self) -> str:
        return self.body[:50]


class ContactEvent(models.Model):
    """Append-only history of a contact: the Summary tab's activity log and the undo record."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Contact created")
        UPDATED = "updated", _("Profile updated")
        IDENTITY_ADDED = "identity_added", _("Identifier added")
        IDENTITY_CLAIMED = "identity_claimed", _("Identifier claimed")
        IDENTITY_SHARED = "identity_shared", _("Identifier shared with another contact")
        IDENTITY_LOST = "identity_lost", _("Identifier moved to another contact")
        IDENTITY_REMOVED = "identity_removed", _("Identifier removed")
        MERGED = "merged", _("Contacts merged")
        MERGE_UNDONE = "merge_undone", _("Merge undone")
        PROMOTED = "promoted", _("Promoted to curated")
        BLOCKED = "blocked", _("Blocked")
        UNBLOCKED = "unblocked", _("Unblocked")
        EXPORTED = "exported", _("Exported")
        ANONYMISED = "anonymised", _("Anonymised")
        NOTE_ADDED = "note_added", _("Note added")
        NOTE_EDITED = "note_edited", _("Note edited")
        NOTE_DELETED = "note_deleted", _("Note deleted")
        # contacts.consent_actions: the rows themselves are Consent and OptOut.
        CONSENT_CHANGED = "consent_changed", _("Marketing consent changed")
        OPTED_OUT = "opted_out", _("Opted out of campaigns")
        OPTED_IN = "opted_in", _("Subscribed to campaigns again")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contact", "-created_at", "-id"], name="event_contact_idx")]

    def __str__(self) -> str:
        return self.get_kind_display()


class DeletedContact(models.Model):
    """What remains of a deleted contact: enough for an audit, nothing that re-identifies."""

    hint = models.CharField(_("hint"), max_length=200)
    channel = models.CharField(_("channel"), max_length=50, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), default=timezone.now)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-deleted_at", "-id"]
        indexes = [models.Index(fields=["-deleted_at", "-id"], name="deletedcontact_recent_idx")]
        verbose_name = _("deleted contact")
        verbose_name_plural = _("deleted contacts")

    def __str__(self) -> str:
        return self.hint


# Consent and opt-outs belong to an identity (an address), so they live beside it; campaigns,
# surveys and the contact card read them (contacts.consent).
from contacts.consent import Consent, OptOut  # noqa: E402, F401

# CSV imports (Settings → Contacts → Import) live in their own package.
from contacts.csv_import.models import ContactImport, ContactImportError  # noqa: E402, F401
