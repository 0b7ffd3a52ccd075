from django.urls import path

from campaigns import settings_views as views

app_name = "campaign_settings"

urlpatterns = [
    path("inboxes/<int:inbox_id>/campaigns/", views.inbox_campaigns, name="inbox_campaigns"),
    path(
        "inboxes/<int:inbox_id>/campaigns/texts/",
        views.inbox_campaign_texts,
        name="inbox_campaign_texts",
    ),
    path(
        "inboxes/<int:inbox_id>/campaigns/rates/",
        views.inbox_campaign_rates,
        name="inbox_campaign_rates",
    ),
    path(
        "inboxes/<int:inbox_id>/campaigns/keywords/",
        views.inbox_keyword_add,
        name="inbox_keyword_add",
    ),
    path(
        "inboxes/<int:inbox_id>/campaigns/keywords/<int:keyword_id>/remove/",
        views.inbox_keyword_remove,
        name="inbox_keyword_remove",
    ),
]
