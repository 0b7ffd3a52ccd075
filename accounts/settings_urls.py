from django.urls import path

from accounts import settings_views as views

app_name = "settings"

urlpatterns = [
    path("", views.index, name="index"),
    path("organisation/", views.organisation, name="organisation"),
    path("users/", views.users, name="users"),
    path("users/invite/", views.user_invite, name="user_invite"),
    path("users/<int:user_id>/", views.user_detail, name="user_detail"),
    path(
        "users/<int:user_id>/remove-licence/", views.user_remove_licence, name="user_remove_licence"
    ),
    path(
        "users/<int:user_id>/restore-licence/",
        views.user_restore_licence,
        name="user_restore_licence",
    ),
    path(
        "users/<int:user_id>/resend-invitation/",
        views.user_resend_invitation,
        name="user_resend_invitation",
    ),
]
