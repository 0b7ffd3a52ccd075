"""Permissions that come with an organisation role.

Each right is its own Django permission (seed 004's list), so a user can be granted one more
right through Django's user permissions; the role gives the defaults. Admins hold everything.
"""

from typing import Any

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
    """An authentication backend that authenticates nobody and answers has_perm by role."""

    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: int) -> None:
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
