from django.urls import path

from inbox import webhooks

app_name = "webhooks"

urlpatterns = [
    path("twilio/", webhooks.twilio_inbound, name="twilio_inbound"),
    path("twilio/status/", webhooks.twilio_status, name="twilio_status"),
]
