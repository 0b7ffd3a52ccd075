from django.urls import path

from inbox import label_views
from inbox import settings_views as views

app_name = "inbox_settings"

urlpatterns = [
    path("labels/", label_views.labels, name="labels"),
    path("labels/<int:label_id>/", label_views.label_edit, name="label_edit"),
    path("labels/<int:label_id>/delete/", label_views.label_delete, name="label_delete"),
    path("inboxes/", views.inboxes, name="inboxes"),
    path("inboxes/new/", views.inbox_add, name="inbox_add"),
    path("inboxes/<int:inbox_id>/", views.inbox_detail, name="inbox_detail"),
    path("inboxes/<int:inbox_id>/members/", views.member_add, name="member_add"),
    path(
        "inboxes/<int:inbox_id>/members/<int:user_id>/role/",
        views.member_role,
        name="member_role",
    ),
    path(
        "inboxes/<int:inbox_id>/members/<int:user_id>/capacity/",
        views.member_capacity,
        name="member_capacity",
    ),
    path(
        "inboxes/<int:inbox_id>/members/<int:user_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("inboxes/<int:inbox_id>/channels/", views.channel_add, name="channel_add"),
    path(
        "inboxes/<int:inbox_id>/channels/<int:channel_id>/remove/",
        views.channel_remove,
        name="channel_remove",
    ),
]
