from django.urls import path

from journey import settings_views as views

app_name = "journey_settings"

urlpatterns = [
    path("journey/", views.journey_settings, name="journey"),
]
