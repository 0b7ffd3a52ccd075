"""Rights granted beyond the role are read once and kept in the cache until a grant changes:
the workspace asks for them on every thread page, and a change counts at once."""

from django.contrib.auth.models import Group, Permission
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User

PROMOTE = "contacts.promote_contact"  # not an agent's right by role


def fresh(user: User) -> User:
    """The user as the next request loads it (no per-object memo)."""
    return User.objects.get(pk=user.pk)


def permission_queries(user: User, perm: str = PROMOTE) -> tuple[bool, int]:
    with CaptureQueriesContext(connection) as queries:
        allowed = user.has_perm(perm)
    return allowed, sum("auth_permission" in q["sql"] for q in queries.captured_queries)


def promote() -> Permission:
    return Permission.objects.get(codename="promote_contact", content_type__app_label="contacts")


def test_an_agents_granted_rights_are_read_once_then_come_from_the_cache(alice):
    assert permission_queries(fresh(alice)) == (False, 1)
    assert permission_queries(fresh(alice)) == (False, 0)


def test_a_right_granted_to_the_user_counts_at_once(alice):
    assert permission_queries(fresh(alice))[0] is False
    alice.user_permissions.add(promote())
    assert permission_queries(fresh(alice)) == (True, 1)
    alice.user_permissions.remove(promote())
    assert permission_queries(fresh(alice)) == (False, 1)


def test_a_group_right_or_joining_and_leaving_a_group_counts_at_once(alice):
    supervisors = Group.objects.create(name="Supervisors")
    alice.groups.add(supervisors)
    assert permission_queries(fresh(alice))[0] is False
    supervisors.permissions.add(promote())
    assert permission_queries(fresh(alice))[0] is True
    alice.groups.remove(supervisors)
    assert permission_queries(fresh(alice))[0] is False
    alice.groups.add(supervisors)
    assert permission_queries(fresh(alice))[0] is True
    supervisors.delete()
    assert permission_queries(fresh(alice))[0] is False


def test_a_deactivated_user_holds_no_right_whatever_the_cache_says(alice):
    alice.user_permissions.add(promote())
    assert permission_queries(fresh(alice))[0] is True
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert permission_queries(fresh(alice)) == (False, 0)


def test_with_the_cache_down_the_rights_are_read_from_the_database(alice, monkeypatch):
    alice.user_permissions.add(promote())

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(type(caches["default"]), "get_many", down)
    monkeypatch.setattr(type(caches["default"]), "set", down)
    assert permission_queries(fresh(alice)) == (True, 1)
    assert permission_queries(fresh(alice)) == (True, 1)
