"""Permissions that come with an organisation role.

Each right is its own Django permission (seed 004's list), so a user can be granted one more
right through Django's user permissions; the role gives the defaults. Admins hold everything.
"""

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete

from accounts.models import Role
from lib import stamps

logger = logging.getLogger(__name__)

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


# Every change of a grant (a user's rights or groups, a group's rights) moves this stamp
# (connect_grant_signals); a user's granted rights are kept in the cache until it moves, for
# at most GRANTS_SECONDS in case a change slipped past the signals (a raw UPDATE).
GRANTS_STAMP = "permission-grants"
GRANTS_SECONDS = 300


class GrantedPermissionBackend(ModelBackend):
    """Django's ModelBackend (log-in by e-mail and password, rights granted to one user or a
    group), reading a user's granted rights in one query instead of two, kept in the cache
    between requests. Listed after RolePermissionBackend, so a right that comes with the
    role costs no query at all, and one granted beyond it none while the grants are
    unchanged."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = _cached_grants(user_obj)
        return user_obj._perm_cache


def _cached_grants(user: Any) -> set[str]:
    key, stamp_key = f"granted-permissions:{user.pk}", stamps.PREFIX + GRANTS_STAMP
    try:
        found = cache.get_many([key, stamp_key])
    except Exception:
        return _granted(user)
    stamp = found.get(stamp_key, stamps.MISSING)
    entry = found.get(key)
    if entry is not None and entry[:2] == (stamp, user.is_superuser):
        return set(entry[2])
    granted = _granted(user)
    try:
        cache.set(key, (stamp, user.is_superuser, frozenset(granted)), GRANTS_SECONDS)
    except Exception:
        logger.warning("Cache unavailable; the granted rights of %s are not kept", user.pk)
    return granted


def _granted(user: Any) -> set[str]:
    granted = Permission.objects.all()
    if not user.is_superuser:
        granted = granted.filter(Q(user=user) | Q(group__user=user))
    rows = granted.values_list("content_type__app_label", "codename").order_by()
    return {f"{app}.{codename}" for app, codename in rows.distinct()}


def _grants_changed(action: str = "", **kwargs: Any) -> None:
    if action.startswith("pre_"):
        return  # m2m_changed fires before and after each change; after is enough
    # Now, so this transaction's own later checks see the change, and again after commit, so
    # rights read by another request in between are not kept under the new stamp.
    stamps.bump([GRANTS_STAMP])
    stamps.bump_on_commit([GRANTS_STAMP])


def connect_grant_signals() -> None:
    """Move GRANTS_STAMP whenever a right is granted or taken, to a user or a group, or a
    user joins or leaves a group (called from AccountsConfig.ready())."""
    user_model = get_user_model()
    for through in (
        user_model.user_permissions.through,
        user_model.groups.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(_grants_changed, sender=through, dispatch_uid=f"grants-{through}")
    for model in (Group, Permission):
        post_delete.connect(_grants_changed, sender=model, dispatch_uid=f"grants-{model}")
