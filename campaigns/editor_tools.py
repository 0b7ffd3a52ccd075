"""Panels of later apps beside the campaign editor (the assistant app's "Draft with the
assistant"): a registry, as inbox.composer_tools is for the reply box — imports flow
accounts → contacts → inbox → campaigns → assistant, so campaigns cannot name them. A
provider returns the template to include and its context for this user and campaign, or
None when the panel is not theirs to use."""

from collections.abc import Callable
from typing import Any

EditorToolProvider = Callable[[Any, Any], dict[str, Any] | None]
EDITOR_TOOLS: dict[str, EditorToolProvider] = {}


def register_editor_tool(name: str, provider: EditorToolProvider) -> None:
    """Call from AppConfig.ready(); registering again replaces the panel, and panels appear
    in the order they were first registered."""
    EDITOR_TOOLS[name] = provider


def editor_tools(user: Any, campaign: Any) -> list[dict[str, Any]]:
    tools = []
    for provider in EDITOR_TOOLS.values():
        context = provider(user, campaign)
        if context is not None:
            tools.append(context)
    return tools
