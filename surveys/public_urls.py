"""The short public links of survey invitations: /s/<token>/ and /s/<token>/<score>/."""

from django.urls import path

from surveys import public_views

app_name = "survey_answer"

urlpatterns = [
    path("<str:token>/", public_views.answer, name="answer"),
    path("<str:token>/<int:score>/", public_views.answer, name="answer_score"),
]
