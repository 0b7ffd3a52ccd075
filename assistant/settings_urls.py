from django.urls import path

from assistant import views

app_name = "assistant_settings"

urlpatterns = [path("assistant/", views.overview, name="overview")]
