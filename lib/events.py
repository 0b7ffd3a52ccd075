"""Domain events for other systems (outbound webhooks): a registry of sinks.

The changes that other systems want to hear about happen in the early apps (a contact is
created in contacts, a message stored by the inbox, a recipient sent by campaigns), yet the
code that delivers them lives in a later app (webhooks, DESIGN.md §3). So an action calls
`emit(...)` — one line, inside its own transaction — and every sink registered from an
AppConfig.ready() runs right there: what a sink writes (the webhooks app's outbox rows)
commits with the change or not at all. A rolled-back change emits nothing.

`data` carries ids and the few non-personal fields the sink cannot look up later (a
deleted contact's deletion-log id); the sink builds the payload from them. `personal` says
whether the event is about a person at all (the sink then adds personal fields only for
receivers that asked for them). lib imports no app; like inbox.hooks, this is an explicit
list, not a Django signal.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger("switchboard.events")


@dataclass(frozen=True)
class Event:
    organisation_id: int
    type: str
    data: Mapping[str, Any] = field(default_factory=dict)
    personal: bool = False


Sink = Callable[[Event], None]
SINKS: list[Sink] = []


def register_sink(sink: Sink) -> None:
    """Call `sink(event)` for every emitted event, inside the emitting transaction. Call
    from AppConfig.ready(); registering twice changes nothing."""
    if sink not in SINKS:
        SINKS.append(sink)


def emit(
    organisation_id: int, type: str, data: Mapping[str, Any], *, personal: bool = False
) -> None:
    """Tell every sink that `type` happened (e.g. "contact.created", data {"contact": 7}).

    Call inside the transaction of the change. Each sink runs in a savepoint: one that
    fails is undone and logged, and the change stands — an agent's reply must never fail
    because a webhook could not be queued."""
    event = Event(organisation_id, type, dict(data), personal)
    for sink in SINKS:
        try:
            with transaction.atomic():
                sink(event)
        except Exception:
            logger.exception("event sink %s failed on %s", sink.__qualname__, type)
