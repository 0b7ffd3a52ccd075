"""lib.pagination: keyset pages that never skip, repeat or count."""

import pytest

from accounts.models import User
from lib.pagination import InvalidCursor, paginate
from tests.factories import UserFactory


@pytest.fixture
def users(db):
    # Several share a display name, so the id must break the tie.
    names = ["Berta", "Anna", "Anna", "Carl", "Anna", "Doris", "Berta"]
    return [UserFactory(display_name=name) for name in names]


def walk(ordering, per_page):
    seen, cursor = [], None
    while True:
        page = paginate(User.objects.all(), ordering=ordering, cursor=cursor, per_page=per_page)
        seen.extend(page.items)
        if not page.has_next:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("per_page", [1, 2, 3, 7, 50])
@pytest.mark.parametrize(
    "ordering", [("display_name", "id"), ("-display_name", "-id"), ("-date_joined", "-id")]
)
def test_walking_all_pages_yields_every_row_once_in_order(users, ordering, per_page):
    expected = list(User.objects.order_by(*ordering))

    assert walk(ordering, per_page) == expected


def test_a_row_added_before_the_cursor_does_not_shift_the_next_page(users):
    first = paginate(User.objects.all(), ordering=("display_name", "id"), cursor=None, per_page=3)
    UserFactory(display_name="Aaron")

    second = paginate(
        User.objects.all(), ordering=("display_name", "id"), cursor=first.next_cursor, per_page=3
    )

    assert [u.display_name for u in first.items] == ["Anna", "Anna", "Anna"]
    assert [u.display_name for u in second.items] == ["Berta", "Berta", "Carl"]


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", "WzFd", "WyJ4Il0"])
def test_a_forged_cursor_raises_invalid_cursor(users, cursor):
    with pytest.raises(InvalidCursor):
        paginate(User.objects.all(), ordering=("-date_joined", "-id"), cursor=cursor, per_page=2)
