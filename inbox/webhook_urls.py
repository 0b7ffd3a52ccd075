"""Provider webhooks under /webhooks/, each provider's URLs in its own folder."""

from django.urls import include, path

app_name = "webhooks"

urlpatterns = [
    path("twilio/", include("inbox.channels.twilio.urls")),
]
