"""Links of later apps on an inbox's settings page (the surveys app's "Surveys", beside the
campaign settings): a registry, as inbox.composer_tools is for the reply box — imports flow
accounts → contacts → inbox → campaigns → surveys, so the inbox cannot name them. A provider
returns {"label": …, "url": …} for this user and inbox, or None when the link is not for
them."""

from collections.abc import Callable
from typing import Any

LinkProvider = Callable[[Any, Any], dict[str, Any] | None]
INBOX_SETTINGS_LINKS: dict[str, LinkProvider] = {}


def register_inbox_settings_link(name: str, provider: LinkProvider) -> None:
    """Call from AppConfig.ready(); registering again replaces the link, and links appear
    in the order they were first registered."""
    INBOX_SETTINGS_LINKS[name] = provider


def inbox_settings_links(user: Any, inbox: Any) -> list[dict[str, Any]]:
    links = []
    for provider in INBOX_SETTINGS_LINKS.values():
        link = provider(user, inbox)
        if link is not None:
            links.append(link)
    return links
