"""Campaigns (seed 003): per-inbox campaign settings and keywords, saved templates, the
campaigns themselves with their frozen recipients, and their events."""

from campaigns.models.campaigns import (
    Campaign,
    CampaignEvent,
    CampaignRecipient,
    CampaignStatus,
    CampaignType,
    RecipientStatus,
    SkipReason,
    is_advertising,
)
from campaigns.models.settings import CampaignSettings, KeywordAction, OptOutKeyword
from campaigns.models.templates import Template

__all__ = [
    "Campaign",
    "CampaignEvent",
    "CampaignRecipient",
    "CampaignSettings",
    "CampaignStatus",
    "CampaignType",
    "KeywordAction",
    "OptOutKeyword",
    "RecipientStatus",
    "SkipReason",
    "Template",
    "is_advertising",
]
