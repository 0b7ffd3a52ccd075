"""What later apps contribute to deleting or anonymising a contact: a registry.

contacts cannot import the inbox (imports flow one way), yet deleting a contact must also
remove attachment files and pass the append-only guard on comments. A later app calls
`register_erasure_hook` from its AppConfig.ready(); the contacts actions run the deletion or
anonymisation inside every registered hook. (contacts.exports and contacts.panel are
registries of the same kind.)
"""

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from typing import Any

from contacts.models import Contact

# hook(contact, purpose) → a context manager; purpose is "delete" or "anonymise".
ErasureHook = Callable[[Contact, str], AbstractContextManager[Any]]
ERASURE_HOOKS: list[ErasureHook] = []


def register_erasure_hook(hook: ErasureHook) -> None:
    """Run every deletion and anonymisation of a contact inside `hook(contact, purpose)`, in
    the order apps register. Call from AppConfig.ready(); registering twice changes nothing."""
    if hook not in ERASURE_HOOKS:
        ERASURE_HOOKS.append(hook)


def erasing(contact: Contact, purpose: str) -> ExitStack:
    """Enter every hook for `contact`; `purpose` is "delete" or "anonymise"."""
    stack = ExitStack()
    for hook in ERASURE_HOOKS:
        stack.enter_context(hook(contact, purpose))
    return stack
