"""Forms of labels (Settings → Labels) and saved views; the actions decide what is
allowed, these only read the input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from inbox.models import LabelColour


class LabelForm(forms.Form):
    # The template draws the palette itself (each colour shown as a label would be).
    name = forms.CharField(label=_("Name"), max_length=40, strip=True)
    colour = forms.ChoiceField(
        label=_("Colour"), choices=LabelColour.choices, initial=LabelColour.BLUE
    )


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, strip=True)
