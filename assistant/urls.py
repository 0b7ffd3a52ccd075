from django.urls import path

from assistant import views

app_name = "assistant"

urlpatterns = [
    path("campaigns/<int:campaign_id>/draft/", views.campaign_draft, name="campaign_draft"),
    path("conversations/<int:conversation_id>/reply/", views.reply_tool, name="reply_tool"),
    path("conversations/<int:conversation_id>/summary/", views.summarise, name="summarise"),
    path("requests/<int:assistant_request_id>/", views.request_status, name="request"),
]
