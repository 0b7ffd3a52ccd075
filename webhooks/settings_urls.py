from django.urls import path

from webhooks import views

app_name = "webhook_settings"

urlpatterns = [
    path("webhooks/", views.endpoints, name="endpoints"),
    path("webhooks/new", views.endpoint_add, name="endpoint_add"),
    path("webhooks/<int:endpoint_id>/", views.detail, name="endpoint"),
    path("webhooks/<int:endpoint_id>/edit", views.edit, name="endpoint_edit"),
    path("webhooks/<int:endpoint_id>/rotate", views.rotate, name="endpoint_rotate"),
    path("webhooks/<int:endpoint_id>/delete", views.delete, name="endpoint_delete"),
    path("webhooks/<int:endpoint_id>/enable", views.enable, name="endpoint_enable"),
    path("webhooks/<int:endpoint_id>/disable", views.disable, name="endpoint_disable"),
    path("webhooks/<int:endpoint_id>/test", views.send_test, name="endpoint_test"),
    path("webhooks/<int:endpoint_id>/replay", views.replay_since, name="endpoint_replay"),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/replay",
        views.replay,
        name="delivery_replay",
    ),
    path("webhooks/<int:endpoint_id>/verify", views.verify_guide, name="endpoint_verify"),
]
