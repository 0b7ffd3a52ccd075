from django.urls import path

from inbox import (
    bulk_views,
    chooser_views,
    contact_send_views,
    conversation_views,
    label_views,
    optout_views,
    saved_view_views,
    views,
)

app_name = "inbox"

urlpatterns = [
    path("", views.index, name="index"),
    path("live/", views.live, name="live"),
    path("unread/", views.unread, name="unread"),
    path("bulk/", bulk_views.bulk, name="bulk"),
    path("bulk/undo/", bulk_views.bulk_undo, name="bulk_undo"),
    path("views/", saved_view_views.saved_views, name="saved_views"),
    path("views/new/", saved_view_views.saved_view_add, name="saved_view_add"),
    path(
        "views/<int:view_id>/rename/",
        saved_view_views.saved_view_rename,
        name="saved_view_rename",
    ),
    path(
        "views/<int:view_id>/delete/",
        saved_view_views.saved_view_delete,
        name="saved_view_delete",
    ),
    path("c/<int:conversation_id>/", views.conversation, name="conversation"),
    path("c/<int:conversation_id>/contact/", views.contact_panel, name="contact_panel"),
    path(
        "c/<int:conversation_id>/labels/add/",
        label_views.conversation_label_add,
        name="conversation_label_add",
    ),
    path(
        "c/<int:conversation_id>/labels/remove/",
        label_views.conversation_label_remove,
        name="conversation_label_remove",
    ),
    path("c/<int:conversation_id>/reply/", conversation_views.reply, name="conversation_reply"),
    path(
        "c/<int:conversation_id>/comment/", conversation_views.comment, name="conversation_comment"
    ),
    path(
        "c/<int:conversation_id>/assign-to-me/",
        conversation_views.assign_to_me,
        name="conversation_assign_to_me",
    ),
    path("c/<int:conversation_id>/assign/", conversation_views.assign, name="conversation_assign"),
    path(
        "c/<int:conversation_id>/unassign/",
        conversation_views.unassign,
        name="conversation_unassign",
    ),
    path(
        "c/<int:conversation_id>/status/", conversation_views.set_status, name="conversation_status"
    ),
    path(
        "c/<int:conversation_id>/contact/confirm/",
        conversation_views.contact_confirm,
        name="contact_confirm",
    ),
    path(
        "c/<int:conversation_id>/contact/unlink/",
        conversation_views.contact_unlink,
        name="contact_unlink",
    ),
    path(
        "c/<int:conversation_id>/contact/link/",
        conversation_views.contact_link,
        name="contact_link",
    ),
    path(
        "c/<int:conversation_id>/contact/choose/",
        chooser_views.contact_chooser,
        name="contact_chooser",
    ),
    path(
        "c/<int:conversation_id>/contact/choose/pick/",
        chooser_views.contact_choose,
        name="contact_choose",
    ),
    path(
        "c/<int:conversation_id>/contact/create/",
        conversation_views.contact_create,
        name="contact_create",
    ),
    path("m/<int:message_id>/comment/", conversation_views.message_comment, name="message_comment"),
    path("m/<int:message_id>/retry/", conversation_views.message_retry, name="message_retry"),
    path("m/<int:message_id>/opt-out/", optout_views.message_opt_out, name="message_opt_out"),
    path(
        "a/<int:attachment_id>/",
        conversation_views.attachment_download,
        name="attachment_download",
    ),
    path("contacts/<int:contact_id>/send/", contact_send_views.contact_send, name="contact_send"),
]
