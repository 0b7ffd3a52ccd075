"""Permissions that come with an organisation role.

Each right is its own Django permission (seed 004's list), so a user can be granted one more
right through Django's user permissions; the role gives the defaults. Admins hold everything.
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q

from accounts.models import Role

AGENT_PERMISSIONS = frozenset(
    {
        "contacts.view_contact",
        "contacts.add_contact",
        "contacts.change_contact",
        "contacts.link_conversation",
    }
)
MANAGER_PERMISSIONS = AGENT_PERMISSIONS | {"contacts.merge_contact", "contacts.promote_contact"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.AGENT: AGENT_PERMISSIONS,
    Role.MANAGER: MANAGER_PERMISSIONS,
}


class RolePermissionBackend:
    """An authentication backend that authenticates nobody and answers has_perm by role.
    It has no `get_user`, so sessions (and the test client's force_login) name the backend
    that does log people in."""

    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def get_all_permissions(self, user: Any, obj: Any = None) -> set[str]:
        if not user.is_active or user.is_anonymous:
            return set()
        return set(ROLE_PERMISSIONS.get(user.role, ()))

    def has_perm(self, user: Any, perm: str, obj: Any = None) -> bool:
        if not user.is_active or user.is_anonymous:
            return False
        return user.role == Role.ADMIN or perm in ROLE_PERMISSIONS.get(user.role, ())

    def has_module_perms(self, user: Any, app_label: str) -> bool:
        return user.is_active and user.role == Role.ADMIN


class GrantedPermissionBackend(ModelBackend):
    """Django's ModelBackend (log-in by e-mail and password, rights granted to one user or a
    group), reading a user's granted rights in one query instead of two. Listed after
    RolePermissionBackend, so a right that comes with the role costs no query at all."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            granted = Permission.objects.all()
            if not user_obj.is_superuser:
                granted = granted.filter(Q(user=user_obj) | Q(group__user=user_obj))
            rows = granted.values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in rows.distinct()}
        return user_obj._perm_cache
