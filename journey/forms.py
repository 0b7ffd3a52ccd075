from django import forms

from journey.models import JourneySettings


class JourneySettingsForm(forms.ModelForm):
    class Meta:
        model = JourneySettings
        fields = ["retention_days"]
