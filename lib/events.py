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
BatchSink = Callable[[list[Event]], None]
SINKS: list[Sink] = []
# A sink's form for many events at once (emit_many): a bulk action (the contacts upsert of
# 1,000 contacts) then costs the sink a fixed number of queries, not some per event.
BATCH_SINKS: dict[Sink, BatchSink] = {}


def register_sink(sink: Sink, *, many: BatchSink | None = None) -> None:
    """Call `sink(event)` for every emitted event, inside the emitting transaction; with
    `many`, emit_many calls `many(events)` once instead. Call from AppConfig.ready();
    registering twice changes nothing."""
    if sink not in SINKS:
        SINKS.append(sink)
    if many is not None:
        BATCH_SINKS[sink] = many


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


def emit_many(
    organisation_id: int, type: str, datas: list[Mapping[str, Any]], *, personal: bool = False
) -> None:
    """emit() for many events of one type (a bulk action's changed contacts): each sink gets
    them in one savepoint — all at once through its batch form when it registered one, else
    one call per event. A failing sink is undone for the whole batch and logged."""
    if not datas:
        return
    events = [Event(organisation_id, type, dict(data), personal) for data in datas]
    for sink in SINKS:
        try:
            with transaction.atomic():
                many = BATCH_SINKS.get(sink)
                if many is not None:
                    many(events)
                else:
                    for event in events:
                        sink(event)
        except Exception:
            logger.exception(
                "event sink %s failed on %s (%s events)", sink.__qualname__, type, len(events)
            )
