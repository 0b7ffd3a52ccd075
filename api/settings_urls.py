from django.urls import path

from api import settings_views as views

app_name = "api_settings"

urlpatterns = [
    path("api/", views.tokens, name="tokens"),
    path("api/new/", views.token_new, name="token_new"),
    path("api/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
