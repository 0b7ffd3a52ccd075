"""Pydantic's field errors, said in the active language (they are for people): the usual
kinds get our own translated sentence, the rest keep pydantic's English."""

from typing import Any

from django.utils.translation import gettext as _


def _messages(ctx: dict[str, Any]) -> dict[str, str]:
    return {
        "missing": _("This field is required."),
        "string_too_long": _("At most %(max)s characters.") % {"max": ctx.get("max_length", "")},
        "string_too_short": _("At least %(min)s characters.") % {"min": ctx.get("min_length", "")},
        "string_type": _("Enter text."),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "less_than_equal": _("At most %(max)s.") % {"max": ctx.get("le", "")},
        "greater_than_equal": _("At least %(min)s.") % {"min": ctx.get("ge", "")},
        "datetime_from_date_parsing": _("Enter a date and time (ISO 8601)."),
        "datetime_parsing": _("Enter a date and time (ISO 8601)."),
        "datetime_type": _("Enter a date and time (ISO 8601)."),
        "bool_parsing": _("Enter true or false."),
        "literal_error": _("Choose one of: %(expected)s.") % {"expected": ctx.get("expected", "")},
        "enum": _("Choose one of: %(expected)s.") % {"expected": ctx.get("expected", "")},
        "extra_forbidden": _("This field is not known."),
        "json_invalid": _("The body is not valid JSON."),
        "model_attributes_type": _("Send a JSON object."),
        "dict_type": _("Send a JSON object."),
        "list_type": _("Send a list."),
    }


def field_name(loc: Any) -> str:
    """A pydantic location as the field's name: ("body", "payload", "tags", 0) → "tags.0"."""
    parts = [str(part) for part in (loc or ())]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
        if parts and parts[0] == "payload":
            parts = parts[1:]
    return ".".join(parts)


def translated_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    result = []
    for error in errors:
        messages = _messages(error.get("ctx") or {})
        result.append(
            {
                "field": field_name(error.get("loc")),
                "message": messages.get(str(error.get("type")), str(error.get("msg", ""))),
            }
        )
    return result
