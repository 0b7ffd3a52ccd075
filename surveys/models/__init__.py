"""Surveys (seed 003: managers manage surveys): a survey per inbox, its invitations (one per
customer asked, whichever way it went out) with at most one answer each, and its events."""

from surveys.models.surveys import (
    ANSWER_WITHIN,
    CHANGE_WITHIN,
    InvitationSource,
    InvitationStatus,
    ResponseSource,
    Survey,
    SurveyEvent,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)

__all__ = [
    "ANSWER_WITHIN",
    "CHANGE_WITHIN",
    "InvitationSource",
    "InvitationStatus",
    "ResponseSource",
    "Survey",
    "SurveyEvent",
    "SurveyInvitation",
    "SurveyKind",
    "SurveyResponse",
]
