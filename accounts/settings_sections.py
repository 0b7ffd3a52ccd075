"""The sections of the Settings area. Each app adds its own from AppConfig.ready(), so the
navigation shows every section a user may open without accounts importing later apps."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    group: str | Promise
    label: str | Promise
    url_name: str
    icon: str
    allowed: Callable[[Any], bool]
    # URL names (without namespace) that highlight this section in the navigation.
    active_for: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return reverse(self.url_name)


def is_admin(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_admin)


SECTIONS: list[Section] = [
    Section(
        _("Account"),
        _("Organisation"),
        "settings:organisation",
        "building",
        is_admin,
        ("organisation",),
    ),
    Section(
        _("Account"),
        _("Users"),
        "settings:users",
        "users",
        is_admin,
        ("users", "user_invite", "user_detail"),
    ),
]


def register(section: Section) -> None:
    if all(existing.url_name != section.url_name for existing in SECTIONS):
        SECTIONS.append(section)


def sections_for(user: Any) -> list[Section]:
    return [section for section in SECTIONS if section.allowed(user)]
