"""One short date style for the conversation list and the thread.

Today's items show the time ("14:05"), this year's the day and month ("30 Nov", German
"30. Nov."), items from another year the year too ("30 Nov 2025"). The thread adds the time
to the date ("30 Nov, 14:05"). The day-and-month formats are our own names in each
language's format module (config/formats/<language>/formats.py).
"""

from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format, get_format

# For a language without a format module of ours.
FALLBACKS = {"DAY_MONTH_FORMAT": "j M", "DAY_MONTH_YEAR_FORMAT": "j M Y"}


def _format(name: str) -> str:
    value = get_format(name)
    # get_format answers a name it does not know with the name itself.
    return FALLBACKS[name] if value == name else str(value)


def short_date(value: datetime, *, today: date | None = None) -> str:
    """The date of `value` (in the active time zone) without the year when it is this year's."""
    local = timezone.localtime(value)
    today = today or timezone.localdate()
    name = "DAY_MONTH_FORMAT" if local.year == today.year else "DAY_MONTH_YEAR_FORMAT"
    return date_format(local, _format(name))


def short_moment(value: datetime, *, today: date | None = None, with_time: bool = False) -> str:
    """Today's time, or the short date (with the time when `with_time`): the list shows
    `short_moment(at)`, the thread `short_moment(at, with_time=True)`."""
    local = timezone.localtime(value)
    today = today or timezone.localdate()
    time = date_format(local, "TIME_FORMAT")
    if local.date() == today:
        return time
    day = short_date(local, today=today)
    return f"{day}, {time}" if with_time else day
