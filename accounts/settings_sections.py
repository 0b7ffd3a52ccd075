"""The sections of the Settings area, a registry: each app (accounts included) calls
`register_settings_section` from its AppConfig.ready(), so the navigation shows every section
a user may open without accounts importing later apps. (contacts.erasure, contacts.exports and
contacts.panel are registries of the same kind.)"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise


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


SETTINGS_SECTIONS: list[Section] = []


def register_settings_section(section: Section) -> None:
    """Show `section` in the Settings navigation to users it `allowed`, after the sections
    registered before it. Call from AppConfig.ready(); registering a URL name twice changes
    nothing."""
    if all(existing.url_name != section.url_name for existing in SETTINGS_SECTIONS):
        SETTINGS_SECTIONS.append(section)


def sections_for(user: Any) -> list[Section]:
    """The sections `user` may open, each group together (groups in the order their first
    section was registered, sections in theirs): a later app's section in the "Account"
    group stands under the one "Account" heading, not under a second one."""
    allowed = [section for section in SETTINGS_SECTIONS if section.allowed(user)]
    first: dict[str, int] = {}
    for index, section in enumerate(allowed):
        first.setdefault(str(section.group), index)
    return sorted(allowed, key=lambda section: first[str(section.group)])
