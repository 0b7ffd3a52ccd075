"""What later apps do with a newly received message: a registry.

Imports flow one way, accounts → contacts → inbox → campaigns (DESIGN.md §3), yet a customer's
STOP, stored by the inbox, must take them out of campaigns. So the campaigns app calls
`register_inbound` from its AppConfig.ready(), and `inbox.actions.receive_message` calls every
registered function with each message it stores for the first time — inside the transaction
that stores it, so what the function writes (an opt-out, a confirmation to send) commits
with the message or not at all. A replayed webhook stores nothing and calls nothing.
(contacts.erasure, contacts.panel and accounts.settings_sections are registries of the same
kind.) Not a Django signal: an explicit, ordered list that `receive_message` names.

Two more of the same kind: an *intercept* may claim an inbound message before it is routed
(a survey's score answered by SMS is stored in the survey's conversation, not routed as a new
one), and a *status hook* hears that a conversation was opened, pended or resolved (a survey
goes out on resolve) — each inside the transaction of the change.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

logger = logging.getLogger("switchboard.hooks")

InboundHook = Callable[[Any], None]
InboundBatchHook = Callable[[list[Any]], None]
INBOUND_HOOKS: list[InboundHook] = []
# A hook's form for many messages at once (a routed batch of stored events): the batch then
# costs the hook a fixed number of queries, not some per message.
INBOUND_BATCH_HOOKS: dict[InboundHook, InboundBatchHook] = {}


def register_inbound(hook: InboundHook, *, many: InboundBatchHook | None = None) -> None:
    """Call `hook(message)` for every newly stored inbound message, after the hooks
    registered before it; with `many`, run_inbound_many calls `many(messages)` once instead,
    which must do what `hook` does for each. Call from AppConfig.ready(); registering twice
    changes nothing."""
    if hook not in INBOUND_HOOKS:
        INBOUND_HOOKS.append(hook)
    if many is not None:
        INBOUND_BATCH_HOOKS[hook] = many


def run_inbound(message: Any) -> None:
    """Run every inbound hook on `message` (inside the caller's transaction).

    Each hook runs in a savepoint of its own: one that fails is undone and logged, and the
    message stays stored — losing a customer's message to a bug in what follows it would be
    worse than missing the follow-up (an agent still sees the message and can act on it)."""
    for hook in INBOUND_HOOKS:
        _run_one(hook, message)


def run_inbound_many(messages: list[Any]) -> None:
    """run_inbound for many messages, oldest first: each hook over all of them before the
    next hook. A hook's batch form runs in one savepoint; when it fails, it is undone and
    the hook runs again message by message, each in its own savepoint as in run_inbound."""
    if len(messages) == 1:
        run_inbound(messages[0])
        return
    for hook in INBOUND_HOOKS if messages else []:
        many = INBOUND_BATCH_HOOKS.get(hook)
        if many is not None:
            try:
                with transaction.atomic():
                    many(messages)
                continue
            except Exception:
                logger.exception("inbound hook %s failed on a batch", hook.__qualname__)
        for message in messages:
            _run_one(hook, message)


def _run_one(hook: InboundHook, message: Any) -> None:
    try:
        with transaction.atomic():
            hook(message)
    except Exception:
        logger.exception("inbound hook %s failed on message %s", hook.__qualname__, message.pk)


@dataclass(frozen=True)
class Intercepted:
    """An inbound message a later app claims: it is stored in `conversation` without
    reopening or routing it (None: in a new conversation that starts resolved), and then
    `claimed(message)` runs in the same transaction. A replayed webhook stores nothing and
    calls nothing."""

    conversation: Any
    claimed: Callable[[Any], None]


InterceptHook = Callable[[Any], Intercepted | None]
INTERCEPT_HOOKS: list[InterceptHook] = []


def register_intercept(hook: InterceptHook) -> None:
    """Ask `hook(incoming)` about every inbound message before it is routed (an
    inbox.actions.IncomingMessage); the first hook that returns an Intercepted claims it.
    Call from AppConfig.ready(); registering twice changes nothing."""
    if hook not in INTERCEPT_HOOKS:
        INTERCEPT_HOOKS.append(hook)


def run_intercepts(incoming: Any) -> Intercepted | None:
    """The first claim on `incoming`. A hook that fails is logged and passed over: the
    message is then routed as usual, so nothing the customer wrote is lost."""
    for hook in INTERCEPT_HOOKS:
        try:
            claim = hook(incoming)
        except Exception:
            logger.exception("intercept hook %s failed", hook.__qualname__)
            continue
        if claim is not None:
            return claim
    return None


StatusHook = Callable[..., None]
STATUS_HOOKS: list[StatusHook] = []


def register_status_change(hook: StatusHook) -> None:
    """Call `hook(conversation, old=, new=, actor=)` after every status change, inside its
    transaction. Call from AppConfig.ready(); registering twice changes nothing."""
    if hook not in STATUS_HOOKS:
        STATUS_HOOKS.append(hook)


def run_status_change(conversation: Any, *, old: str, new: str, actor: Any) -> None:
    """Run every status hook, each in a savepoint: one that fails is undone and logged, and
    the status change stands (an agent's resolve must not fail for a survey)."""
    for hook in STATUS_HOOKS:
        try:
            with transaction.atomic():
                hook(conversation, old=old, new=new, actor=actor)
        except Exception:
            logger.exception("status hook %s failed on %s", hook.__qualname__, conversation.pk)
