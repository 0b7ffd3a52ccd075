"""The one door to an import a user asks for by id (Settings → Contacts → Import).

Loaded through `ContactImport.objects.visible_to(user)`, the list's QuerySet: admins and
managers see their organisation's imports; an agent gets 403, an import that is not there
(or another organisation's) is a 404 — downloads included.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from contacts.csv_import.models import ContactImport, may_import


def require_importer(user: Any) -> None:
    """Raise PermissionDenied unless `user` is an admin or a manager."""
    if not may_import(user):
        raise PermissionDenied


def access_contact_import(user: Any, import_id: int) -> ContactImport:
    """An import of `user`'s organisation (404 otherwise) for an admin or manager (403)."""
    require_importer(user)
    return get_object_or_404(
        ContactImport.objects.visible_to(user).select_related("created_by"), pk=import_id
    )
