"""Shared set-up of the survey tests: a CSAT survey of inbox A, a resolved conversation."""

from inbox import actions
from inbox.actions import assignment
from surveys.actions.surveys import create_survey
from tests.factories import inbound


def survey_of(inbox, actor, **fields):
    values = {
        "name": "Zufriedenheit",
        "kind": "csat",
        "channel": "",
        "texts": {},
        "on_resolve": True,
        "delay_minutes": 0,
        "throttle_days": 30,
        "is_active": True,
    }
    values.update(fields)
    return create_survey(inbox=inbox, actor=actor, **values)


def handled(inbox, agent, *, address="+49 170 1234567", reply=True, resolve=True):
    """A conversation the agent took, answered (unless `reply` is False) and resolved."""
    conversation = inbound(inbox, address=address).conversation
    if inbox.is_assignment_mode:
        assignment.assign_to_me(conversation, actor=agent)
    if reply:
        actions.reply(conversation, body="Ist unterwegs.", actor=agent)
    if resolve:
        actions.set_status(conversation, status="resolved", actor=agent)
    return conversation
