from django.urls import path

from webchat import settings_views as views

app_name = "webchat_settings"

urlpatterns = [
    path("inboxes/<int:inbox_id>/web-chat/", views.widget_settings, name="widget"),
    path(
        "inboxes/<int:inbox_id>/web-chat/secret/",
        views.widget_secret_rotate,
        name="widget_secret_rotate",
    ),
]
