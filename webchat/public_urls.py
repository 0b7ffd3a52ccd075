"""The widget's public URLs under /w/ (no log-in; webchat.public_views)."""

from django.urls import path

from webchat import public_views as views

app_name = "webchat"

urlpatterns = [
    path("<str:public_id>.js", views.loader, name="loader"),
    path("<str:public_id>/chat/", views.chat, name="chat"),
    path("<str:public_id>/thread/", views.thread, name="thread"),
    path("<str:public_id>/send/", views.send, name="send"),
    path("<str:public_id>/hello/", views.hello, name="hello"),
    path("<str:public_id>/identify/", views.identify, name="identify"),
    path("<str:public_id>/email/", views.leave_email, name="email"),
    path("<str:public_id>/file/<str:token>/", views.attachment, name="attachment"),
]
