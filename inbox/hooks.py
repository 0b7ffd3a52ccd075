"""What later apps do with a newly received message: a registry.

Imports flow one way, accounts → contacts → inbox → campaigns (DESIGN.md §3), yet a customer's
STOP, stored by the inbox, must take them out of campaigns. So the campaigns app calls
`register_inbound` from its AppConfig.ready(), and `inbox.actions.receive_message` calls every
registered function with each message it stores for the first time — inside the transaction
that stores it, so what the function writes (an opt-out, a confirmation to send) commits
with the message or not at all. A replayed webhook stores nothing and calls nothing.
(contacts.erasure, contacts.panel and accounts.settings_sections are registries of the same
kind.) Not a Django signal: an explicit, ordered list that `receive_message` names.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger("switchboard.hooks")

InboundHook = Callable[[Any], None]
INBOUND_HOOKS: list[InboundHook] = []


def register_inbound(hook: InboundHook) -> None:
    """Call `hook(message)` for every newly stored inbound message, after the hooks
    registered before it. Call from AppConfig.ready(); registering twice changes nothing."""
    if hook not in INBOUND_HOOKS:
        INBOUND_HOOKS.append(hook)


def run_inbound(message: Any) -> None:
    """Run every inbound hook on `message` (inside the caller's transaction).

    Each hook runs in a savepoint of its own: one that fails is undone and logged, and the
    message stays stored — losing a customer's message to a bug in what follows it would be
    worse than missing the follow-up (an agent still sees the message and can act on it)."""
    for hook in INBOUND_HOOKS:
        try:
            with transaction.atomic():
                hook(message)
        except Exception:
            logger.exception("inbound hook %s failed on message %s", hook.__qualname__, message.pk)
