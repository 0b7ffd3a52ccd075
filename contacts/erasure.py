"""Hooks that let later apps take part in deleting or anonymising a contact.

contacts cannot import the inbox (imports flow one way), yet deleting a contact must also
remove attachment files and pass the append-only guard on comments. A later app registers a
context manager here from its AppConfig.ready(); the contacts actions run the deletion or
anonymisation inside every registered one.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from typing import Any

from contacts.models import Contact

ErasureHook = Callable[[Contact, str], AbstractContextManager[Any]]
HOOKS: list[ErasureHook] = []


def erasing(contact: Contact, purpose: str) -> ExitStack:
    """Enter every hook for `contact`; `purpose` is "delete" or "anonymise"."""
    stack = ExitStack()
    for hook in HOOKS:
        stack.enter_context(hook(contact, purpose))
    return stack
