"""`{{ at|moment }}`: the thread's and panel's short date and time (lib.dates)."""

from datetime import datetime

from django import template

from lib.dates import short_moment

register = template.Library()


@register.filter
def moment(value: datetime | None) -> str:
    """ "14:05" today, "30 Nov, 14:05" this year, "30 Nov 2025, 14:05" before."""
    if value is None:
        return ""
    return short_moment(value, with_time=True)


@register.filter
def moment_short(value: datetime | None) -> str:
    """The list's style: "14:05" today, "30 Nov" this year, "30 Nov 2025" before."""
    if value is None:
        return ""
    return short_moment(value)
