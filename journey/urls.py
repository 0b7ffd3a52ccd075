"""The widget's public journey endpoint, under /w/ beside the web chat's loader and chat
page (webchat.urls): no log-in, checked against the widget's origins (journey.ingest)."""

from django.urls import path

from journey import ingest

app_name = "journey_widget"

urlpatterns = [
    path("<str:public_id>/pv", ingest.page_views, name="page_views"),
]
