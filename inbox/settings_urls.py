from django.urls import path

from inbox import settings_views as views

app_name = "inbox_settings"

urlpatterns = [
    path("inboxes/", views.inboxes, name="inboxes"),
]
