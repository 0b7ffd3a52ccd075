"""What agents open of a journey: the Journey tab's live trail and one session in full."""

from django.urls import path

from journey import views

app_name = "journey"

urlpatterns = [
    path("contacts/<int:contact_id>/trail", views.trail, name="trail"),
    path("sessions/<int:session_id>/", views.session_detail, name="session"),
]
