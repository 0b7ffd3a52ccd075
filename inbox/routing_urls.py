from django.urls import path

from inbox import routing_views as views

app_name = "routing"

urlpatterns = [
    path("", views.index, name="index"),
    path("next/", views.next_conversation, name="next"),
    path("c/<int:conversation_id>/", views.conversation, name="conversation"),
    path("c/<int:conversation_id>/resolve/", views.resolve, name="resolve"),
    path("c/<int:conversation_id>/pending/", views.pend, name="pend"),
    path("c/<int:conversation_id>/hand-back/", views.hand_back, name="hand_back"),
]
