"""Saving templates (seed 003: managers manage templates): create, change and delete.

Every change leaves a row in its transaction: an InboxEvent for a template of an inbox (its
managers' audit trail, beside the inbox's settings changes), an AccountEvent for an
organisation template (the admins' trail). The event kinds are not among the models' choices
yet, so the list shows their raw name until they are added there.

Each action checks the actor's right again (campaigns.template_access), and the variables of
the subject and the body again, so no caller can store what the form would refuse.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccountEvent, User
from campaigns.models import Template
from campaigns.template_access import can_write_templates
from inbox.models import Channel, Inbox, InboxEvent
from inbox.variables import TemplateError, check_template
from lib.errors import ActionRefused, Conflict

# The same values in InboxEvent.Kind (an inbox's template) and AccountEvent.Kind (one for all).
TEMPLATE_CREATED = InboxEvent.Kind.TEMPLATE_CREATED.value
TEMPLATE_UPDATED = InboxEvent.Kind.TEMPLATE_UPDATED.value
TEMPLATE_DELETED = InboxEvent.Kind.TEMPLATE_DELETED.value

EDITABLE = ("inbox", "name", "channel", "language", "subject", "body")


def check_variables(*, subject: str, body: str) -> None:
    """Raise ValidationError naming the field whose text uses an unknown variable or is not
    valid template syntax (inbox.variables says which, for the user)."""
    errors = {}
    for field, text in (("subject", subject), ("body", body)):
        try:
            check_template(text)
        except TemplateError as error:
            errors[field] = str(error)
    if errors:
        raise ValidationError(errors)


def _cleaned(
    *, inbox: Inbox | None, name: str, channel: str, language: str, subject: str, body: str
) -> dict[str, Any]:
    if channel and channel not in Channel.values:
        raise ActionRefused(_("Choose SMS, WhatsApp, e-mail or any channel."))
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ActionRefused(_("Choose the template's language."))
    subject = subject.strip() if channel == Channel.EMAIL else ""  # only e-mails have one
    check_variables(subject=subject, body=body)
    return {
        "inbox": inbox,
        "name": name.strip(),
        "channel": channel,
        "language": language,
        "subject": subject,
        "body": body,
    }


def _require_writer(actor: User, inbox_id: int | None) -> None:
    if not can_write_templates(actor, inbox_id):
        raise PermissionDenied


def _record(inbox: Inbox | None, kind: str, *, actor: User, **data: Any) -> None:
    if inbox is not None:
        InboxEvent.objects.record(inbox, kind, actor=actor, **data)
    else:
        AccountEvent.objects.create(kind=kind, actor=actor, data=data)


@transaction.atomic
def create_template(
    *,
    actor: User,
    inbox: Inbox | None,
    name: str,
    channel: str,
    language: str,
    subject: str,
    body: str,
) -> Template:
    """Save a new template in `inbox` (None: for every inbox). The actor manages that inbox,
    or is an admin (PermissionDenied otherwise); writes a "template_created" event."""
    _require_writer(actor, inbox.pk if inbox else None)
    values = _cleaned(
        inbox=inbox, name=name, channel=channel, language=language, subject=subject, body=body
    )
    template = Template.objects.create(**values, created_by=actor)
    _record(inbox, TEMPLATE_CREATED, actor=actor, template=template.pk, name=template.name)
    return template


@transaction.atomic
def update_template(
    template: Template,
    *,
    actor: User,
    inbox: Inbox | None,
    name: str,
    channel: str,
    language: str,
    subject: str,
    body: str,
) -> list[str]:
    """Change the template and return the names of the fields that changed (nothing is
    written when none did). The actor may write templates both where it is and where it
    goes (PermissionDenied otherwise); Conflict when someone deleted it meanwhile. Writes a
    "template_updated" event where it is now, and one where it was when it moved."""
    _require_writer(actor, template.inbox_id)
    _require_writer(actor, inbox.pk if inbox else None)
    values = _cleaned(
        inbox=inbox, name=name, channel=channel, language=language, subject=subject, body=body
    )
    current = (
        Template.objects.select_for_update(of=("self",))
        .select_related("inbox")
        .filter(pk=template.pk)
    )
    locked = current.first()
    if locked is None:
        raise Conflict(_("Someone deleted this template meanwhile."))
    before = locked.inbox
    changed = [
        field
        for field in EDITABLE
        if (
            (locked.inbox_id != (inbox.pk if inbox else None))
            if field == "inbox"
            else getattr(locked, field) != values[field]
        )
    ]
    if not changed:
        return []
    for field, value in values.items():
        setattr(template, field, value)
    template.updated_at = timezone.now()
    template.save(update_fields=[*changed, "updated_at"])
    data = {"template": template.pk, "name": template.name, "changed": changed}
    _record(inbox, TEMPLATE_UPDATED, actor=actor, **data)
    if "inbox" in changed:
        _record(before, TEMPLATE_UPDATED, actor=actor, moved_to=inbox.pk if inbox else None, **data)
    return changed


@transaction.atomic
def delete_template(template: Template, *, actor: User) -> None:
    """Delete the template for good (campaigns keep their own copy of the text). The actor
    may write templates of its inbox (PermissionDenied otherwise); writes a
    "template_deleted" event with its name."""
    _require_writer(actor, template.inbox_id)
    _record(template.inbox, TEMPLATE_DELETED, actor=actor, template=template.pk, name=template.name)
    Template.objects.filter(pk=template.pk).delete()
