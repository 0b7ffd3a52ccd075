from django.urls import path

from campaigns import editor_views, unsubscribe_views, views

app_name = "campaigns"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<int:campaign_id>/", views.detail, name="detail"),
    path("<int:campaign_id>/recipients/", views.recipients, name="recipients"),
    path("<int:campaign_id>/recipients.csv", views.export, name="export"),
    path("<int:campaign_id>/edit/", editor_views.edit, name="edit"),
    path("<int:campaign_id>/preview/", editor_views.preview_fragment, name="preview"),
    path("<int:campaign_id>/contacts/", editor_views.contact_search, name="contact_search"),
    path("<int:campaign_id>/test/", editor_views.test_send, name="test_send"),
    path("<int:campaign_id>/launch/", editor_views.launch, name="launch"),
    path("<int:campaign_id>/unschedule/", editor_views.unschedule, name="unschedule"),
    path("<int:campaign_id>/pause/", views.pause, name="pause"),
    path("<int:campaign_id>/resume/", views.resume, name="resume"),
    path("<int:campaign_id>/cancel/", views.cancel, name="cancel"),
    path("unsubscribe/<str:token>/", unsubscribe_views.unsubscribe, name="unsubscribe"),
    path("l/<str:token>/", unsubscribe_views.click, name="click"),
]
