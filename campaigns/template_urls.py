from django.urls import path

from campaigns import template_views as views

app_name = "campaign_templates"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("pick/", views.pick, name="pick"),
    path("<int:template_id>/", views.detail, name="detail"),
    path("<int:template_id>/edit/", views.edit, name="edit"),
    path("<int:template_id>/delete/", views.delete, name="delete"),
]
