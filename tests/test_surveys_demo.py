"""The demo has a survey per inbox with a month of answers, so the results look alive."""

import pytest
from django.core.management import call_command

from surveys.models import Survey, SurveyResponse

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_a_survey_per_inbox_with_answers(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)

    surveys = list(Survey.objects.all())
    assert surveys and all(s.on_resolve for s in surveys)
    assert SurveyResponse.objects.count() >= 10
    assert SurveyResponse.objects.values("agent").distinct().count() >= 2
