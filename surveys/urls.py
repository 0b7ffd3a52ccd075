from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<int:survey_id>/", views.detail, name="detail"),
    path("<int:survey_id>/answers.csv", views.export, name="export"),
    path("<int:survey_id>/edit/", views.edit, name="edit"),
    path("<int:survey_id>/delete/", views.delete, name="delete"),
    path("send/<int:conversation_id>/", views.send, name="send"),
]
