from django.urls import path

from contacts import consent_views, identity_views, manage_views, merge_views, views

app_name = "contacts"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("match/", identity_views.match, name="match"),
    path("match/create/", identity_views.match_create, name="match_create"),
    path("<int:contact_id>/", views.detail, name="detail"),
    path("<int:contact_id>/profile/", views.profile_edit, name="profile_edit"),
    path("<int:contact_id>/notes/", views.note_add, name="note_add"),
    path("notes/<int:note_id>/edit/", views.note_edit, name="note_edit"),
    path("notes/<int:note_id>/delete/", views.note_delete, name="note_delete"),
    path("<int:contact_id>/identities/", identity_views.identities, name="identities"),
    path(
        "<int:contact_id>/identities/claim/", identity_views.identity_claim, name="identity_claim"
    ),
    path(
        "<int:contact_id>/identities/share/", identity_views.identity_share, name="identity_share"
    ),
    path(
        "identities/<int:identity_id>/remove/",
        identity_views.identity_remove,
        name="identity_remove",
    ),
    path(
        "identities/<int:identity_id>/consent/",
        consent_views.identity_consent,
        name="identity_consent",
    ),
    path(
        "identities/<int:identity_id>/opt-out/",
        consent_views.identity_opt_out,
        name="identity_opt_out",
    ),
    path("<int:contact_id>/merge/<int:other_id>/", merge_views.merge, name="merge"),
    path("merges/<int:event_id>/undo/", merge_views.merge_undo, name="merge_undo"),
    path("<int:contact_id>/export.<str:file_format>", manage_views.export, name="export"),
    path("<int:contact_id>/promote/", manage_views.promote, name="promote"),
    path("<int:contact_id>/block/", manage_views.block, name="block"),
    path("<int:contact_id>/unblock/", manage_views.unblock, name="unblock"),
    path("<int:contact_id>/anonymise/", manage_views.anonymise, name="anonymise"),
    path("<int:contact_id>/delete/", manage_views.delete, name="delete"),
]
