"""Who may write an attribute, and who did (seed 000: agents, admins and the CRM fill them).

An attribute definition has an owner (AttributeDefinition.owner):
- **agents** — agents and admins fill it in the Profile tab; an import may too. The CRM (an
  API token with `attributes:write_crm`) may fill it while the contact has no value, but never
  overwrites what a person wrote.
- **crm** — only the CRM writes it. Agents and admins see it read-only, marked "from CRM" with
  the time of the last sync; the Profile form, imports and tokens without the scope are refused.

Every write of an attribute stamps `Contact.provenance[key] = {by, writer, at}` (the panel's
mark reads it without a query) and the change's ContactEvent carries `by` and `writer` (the
Profile tab's history reads those).
"""

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.models import AttributeDefinition, Contact, ContactEvent

CRM_SCOPE = "attributes:write_crm"


class Writer(models.TextChoices):
    AGENT = "agent", gettext_lazy("Agent")
    CRM = "crm", gettext_lazy("CRM")
    IMPORT = "import", gettext_lazy("Import")


def ownership_error(
    definition: AttributeDefinition, *, writer: str, current: Any, new: Any
) -> str | None:
    """Why `writer` may not change the attribute from `current` to `new`; None if it may."""
    if definition.is_crm_owned:
        if writer == Writer.CRM:
            return None
        if writer == Writer.IMPORT:
            return _("This attribute is owned by the CRM; an import cannot change it.")
        return _(
            "This attribute is owned by the CRM: only an API token with the scope "
            "%(scope)s writes it."
        ) % {"scope": CRM_SCOPE}
    if writer == Writer.CRM and current not in ("", None, [], {}) and current != new:
        return _(
            "This attribute is owned by agents: the CRM may fill it while it is empty, "
            "but not overwrite it."
        )
    return None


def stamp(contact: Contact, keys: Any, *, by: str, writer: str, at: Any = None) -> None:
    """Record on `contact` (not saved) that `by` wrote the attributes `keys` at `at`."""
    at = (at or timezone.now()).isoformat()
    provenance = dict(contact.provenance or {})
    for key in keys:
        provenance[key] = {"by": by, "writer": writer, "at": at}
    contact.provenance = provenance


def writer_label(actor: Any, source: str = "") -> str:
    """How the history names a writer: the source given (a token's or a file's name), else
    the user."""
    if source:
        return source[:200]
    return str(actor) if actor is not None else _("System")


HISTORY_SHOWN = 20
HISTORY_KINDS = (ContactEvent.Kind.CREATED, ContactEvent.Kind.UPDATED)


def attribute_history(contact: Contact) -> list[dict[str, Any]]:
    """The latest attribute changes of the contact, newest first, for the Profile tab: one
    query. Each entry is {key, old, new, by, writer, at}."""
    events = (
        ContactEvent.objects.filter(contact=contact, kind__in=HISTORY_KINDS)
        .select_related("actor")
        .order_by("-created_at", "-id")[:HISTORY_SHOWN]
    )
    entries: list[dict[str, Any]] = []
    for event in events:
        changes = (event.data or {}).get("changes") or {}
        if not isinstance(changes, dict):
            continue
        by = (event.data or {}).get("by") or (str(event.actor) if event.actor else "")
        for key, change in changes.items():
            old, new = [*change, None, None][:2] if isinstance(change, list) else (None, change)
            entries.append(
                {
                    "key": key,
                    "old": old,
                    "new": new,
                    "by": by,
                    "writer": (event.data or {}).get("writer", Writer.AGENT),
                    "at": event.created_at,
                }
            )
    return entries[:HISTORY_SHOWN]
