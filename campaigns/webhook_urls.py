from django.urls import path

from campaigns import webhooks

app_name = "campaign_webhooks"

urlpatterns = [path("twilio/status", webhooks.twilio_status, name="twilio_status")]
