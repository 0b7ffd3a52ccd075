"""Every write of the campaigns app, one module per topic: campaigns (create, edit, launch,
pause, resume, cancel, test send), templates, and the inbox's campaign settings."""

from campaigns.actions import campaigns as campaigns
from campaigns.actions import settings as settings
from campaigns.actions import templates as templates
