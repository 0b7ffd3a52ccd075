"""Twilio's webhooks, included under /webhooks/twilio/ in the `webhooks` namespace
(inbox.webhook_urls)."""

from django.urls import path

from inbox.channels.twilio import webhooks

urlpatterns = [
    path("", webhooks.twilio_inbound, name="twilio_inbound"),
    path("status/", webhooks.twilio_status, name="twilio_status"),
]
