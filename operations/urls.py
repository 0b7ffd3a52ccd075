"""Settings → System, included under /settings/ in the `operations` namespace."""

from django.urls import path

from operations import views

app_name = "operations"

urlpatterns = [
    path("system/", views.system, name="system"),
]
