"""Twilio's webhooks, included under /webhooks/twilio/ in the `webhooks` namespace
(inbox.webhook_urls)."""

from django.urls import path

from inbox.channels.twilio import reply_media, webhooks

urlpatterns = [
    path("", webhooks.twilio_inbound, name="twilio_inbound"),
    path("status/", webhooks.twilio_status, name="twilio_status"),
    # The files of our replies, for Twilio to fetch as MediaUrl (a signed, expiring link).
    path("media/<str:token>/", reply_media.reply_media, name="twilio_reply_media"),
]
