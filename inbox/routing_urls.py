from django.urls import path

from inbox import routing_views as views

app_name = "routing"

urlpatterns = [
    path("", views.index, name="index"),
]
