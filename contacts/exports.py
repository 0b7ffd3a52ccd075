"""A contact as a machine-readable document (JSON) or table (CSV).

The document's sections are a registry: each app (contacts its profile, identities and notes,
the inbox its conversations) calls `register_export_section` from its AppConfig.ready(), so
contacts never imports a later app. Every section gets the exporting user and holds only what
that user may see (the inbox: the conversations of their inboxes), so an export never shows
more than the pages do.
"""

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from contacts.models import Contact
from lib.text import spreadsheet_safe

# section(contact, user) → (name, content)
ExportSection = Callable[[Contact, Any], tuple[str, Any]]
EXPORT_SECTIONS: list[ExportSection] = []


def register_export_section(section: ExportSection) -> None:
    """Add `section(contact, user)` to every contact export, after those registered before
    it. Call from AppConfig.ready(); registering twice changes nothing."""
    if section not in EXPORT_SECTIONS:
        EXPORT_SECTIONS.append(section)


def profile_section(contact: Contact, user: Any) -> tuple[str, Any]:
    return "profile", {
        "id": contact.pk,
        "kind": contact.kind,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "company": contact.company,
        "job_title": contact.job_title,
        "gender": contact.gender,
        "account_id": contact.account_id,
        "remarks": contact.remarks,
        "tags": [tag.name for tag in contact.tags.all()],
        "attributes": contact.attributes,
        "blocked": contact.is_blocked,
        "blocked_reason": contact.blocked_reason,
        "created_at": contact.created_at,
        "last_activity_at": contact.last_activity_at,
    }


def identities_section(contact: Contact, user: Any) -> tuple[str, Any]:
    return "identities", [
        {
            "kind": identity.kind,
            "value": identity.value,
            "normalised": identity.normalised,
            "source": identity.source,
            "verified": identity.verified,
            "first_seen_at": identity.first_seen_at,
            "last_seen_at": identity.last_seen_at,
        }
        for identity in contact.identities.all()
    ]


def notes_section(contact: Contact, user: Any) -> tuple[str, Any]:
    return "notes", [
        {
            "created_at": note.created_at,
            "author": str(note.author) if note.author else None,
            "body": note.body,
            "edited_at": note.edited_at,
            "previous_versions": [revision.body for revision in note.revisions.all()],
        }
        for note in contact.notes.select_related("author").prefetch_related("revisions")
    ]


def export_document(contact: Contact, user: Any) -> dict[str, Any]:
    """Everything about `contact` that `user` may see; the caller checked they may see the
    contact."""
    return dict(section(contact, user) for section in EXPORT_SECTIONS)


def export_json(contact: Contact, user: Any) -> str:
    document = export_document(contact, user)
    return json.dumps(document, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)


def export_csv(contact: Contact, user: Any) -> str:
    """One row per value: section, item number, field, value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "item", "field", "value"])
    for name, content in export_document(contact, user).items():
        items = content if isinstance(content, list) else [content]
        for number, item in enumerate(items, 1):
            for field, value in item.items():
                if isinstance(value, (dict, list)):
                    value = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
                writer.writerow([name, number, field, spreadsheet_safe(value)])
    return buffer.getvalue()
