"""Tools of later apps in the reply box (the campaigns app's "Templates" picker): a registry,
for the same reason as inbox.hooks — imports flow accounts → contacts → inbox → campaigns, so
the inbox cannot name them. A provider returns the template to include and its context for
this user and conversation, or None when the tool is not theirs to use."""

from collections.abc import Callable
from typing import Any

ToolProvider = Callable[[Any, Any], dict[str, Any] | None]
COMPOSER_TOOLS: dict[str, ToolProvider] = {}


def register_composer_tool(name: str, provider: ToolProvider) -> None:
    """Call from AppConfig.ready(); registering again replaces the tool, and tools appear in
    the order they were first registered."""
    COMPOSER_TOOLS[name] = provider


def composer_tools(user: Any, conversation: Any) -> list[dict[str, Any]]:
    tools = []
    for provider in COMPOSER_TOOLS.values():
        context = provider(user, conversation)
        if context is not None:
            tools.append(context)
    return tools
