"""The one door to saved templates (seed 003: managers manage templates).

A template belongs to an inbox or, with no inbox, to the whole organisation. Who sees and who
changes one:

- a template of an inbox: its members and managers see it, its managers change it; everybody
  else gets 404 (seeing all inboxes' conversations is not working in them);
- an organisation template: everybody who works in an inbox sees it, only admins change it.

Admins manage every inbox, so they see and change every template. The list and the detail
pages read the same `visible_templates(user)`, so the two agree.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404

from campaigns.models import Template
from campaigns.models.templates import TemplateQuerySet
from inbox.models import Inbox, InboxRole, Membership


def visible_templates(user: Any) -> TemplateQuerySet:
    """The templates of the inboxes the user works in, and the organisation's."""
    scope = Membership.objects.scope_for(user)
    if scope.admin:
        return Template.objects.all()
    if not scope.works_anywhere:
        return Template.objects.none()
    return Template.objects.filter(Q(inbox_id__in=list(scope.roles)) | Q(inbox__isnull=True))


def can_write_templates(user: Any, inbox_id: int | None) -> bool:
    """May the user create, change or delete templates of this inbox (None: the
    organisation's)? Managers of the inbox may; organisation templates are for admins."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_admin", False):
        return True
    if inbox_id is None:
        return False
    return Membership.objects.scope_for(user).role_in(inbox_id) == InboxRole.MANAGER


def can_create_templates(user: Any) -> bool:
    """Managers of an inbox and admins write templates somewhere."""
    return bool(getattr(user, "is_authenticated", False)) and (
        Membership.objects.scope_for(user).manages_any
    )


def template_inboxes(user: Any) -> list[Inbox]:
    """The inboxes the user may keep templates in, by name (from the request's scope)."""
    scope = Membership.objects.scope_for(user)
    return [inbox for inbox in scope.inboxes if can_write_templates(user, inbox.pk)]


def access_template(user: Any, template_id: int, *, for_write: bool = False) -> Template:
    """A template the user may see, with its inbox (404 otherwise). With `for_write` the user
    must be allowed to change it: a manager of its inbox, an admin for an organisation
    template (403 otherwise)."""
    template = get_object_or_404(
        visible_templates(user).select_related("inbox", "created_by"), pk=template_id
    )
    if for_write and not can_write_templates(user, template.inbox_id):
        raise PermissionDenied
    return template
