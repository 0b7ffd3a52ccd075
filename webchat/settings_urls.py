from django.urls import path

from webchat import settings_views as views

app_name = "webchat_settings"

urlpatterns = [
    path("inboxes/<int:inbox_id>/web-chat/", views.widget_settings, name="inbox_web_chat"),
    path(
        "inboxes/<int:inbox_id>/web-chat/secret/",
        views.widget_secret_rotate,
        name="inbox_web_chat_secret",
    ),
]
