"""Small forms every app uses."""

from typing import Any

from django import forms

MAX_QUERY_LENGTH = 200


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=MAX_QUERY_LENGTH)


class ChoiceForm(forms.Form):
    """The id of the object a button picks (a hidden field)."""

    id = forms.IntegerField(min_value=1)


def search_query(data: Any, name: str = "q") -> str:
    """The search text under `name` in `data` (request.GET), stripped; "" when the form
    refuses it: too long, or with a NUL byte, which PostgreSQL cannot search for."""
    form = SearchForm({"q": data.get(name, "")})
    return str(form.cleaned_data["q"]) if form.is_valid() else ""


def chosen_id(data: Any, name: str) -> int | None:
    """The positive integer id under `name` in `data` (request.POST), or None."""
    form = ChoiceForm({"id": data.get(name, "")})
    return int(form.cleaned_data["id"]) if form.is_valid() else None
