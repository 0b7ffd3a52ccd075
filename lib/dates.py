"""One short date style for the conversation list and the thread.

Today's items show the time ("14:05"), this year's the day and month ("30 Nov", German
"30. Nov."), items from another year the year too ("30 Nov 2025"). The thread adds the time
to the date ("30 Nov, 14:05"). The day-and-month formats are our own names in each
language's format module (config/formats/<language>/formats.py).
"""

from datetime import date, datetime
from functools import cached_property

from django.utils import dateformat, timezone
from django.utils.formats import get_format

# For a language without a format module of ours.
FALLBACKS = {"DAY_MONTH_FORMAT": "j M", "DAY_MONTH_YEAR_FORMAT": "j M Y"}


def _format(name: str) -> str:
    value = get_format(name)
    # get_format answers a name it does not know with the name itself.
    return FALLBACKS[name] if value == name else str(value)


def short_date(value: datetime, *, today: date | None = None) -> str:
    """The date of `value` (in the active time zone) without the year when it is this year's."""
    return Moments(today).date(value)


def short_moment(value: datetime, *, today: date | None = None, with_time: bool = False) -> str:
    """Today's time, or the short date (with the time when `with_time`): the list shows
    `short_moment(at)`, the thread `short_moment(at, with_time=True)`."""
    return Moments(today)(value, with_time=with_time)


class Moments:
    """short_moment for the many times of one page: today and the active language's formats
    looked up once (a thread of thirty entries spent a third of its time on the look-ups)."""

    def __init__(self, today: date | None = None) -> None:
        self.today = today or timezone.localdate()

    # Each looked up when first needed: one short_date needs only one of them.
    @cached_property
    def time_format(self) -> str:
        return str(get_format("TIME_FORMAT"))

    @cached_property
    def day_month(self) -> str:
        return _format("DAY_MONTH_FORMAT")

    @cached_property
    def day_month_year(self) -> str:
        return _format("DAY_MONTH_YEAR_FORMAT")

    def date(self, value: datetime) -> str:
        local = timezone.localtime(value)
        return self._date(local)

    def _date(self, local: datetime) -> str:
        same_year = local.year == self.today.year
        return dateformat.format(local, self.day_month if same_year else self.day_month_year)

    def __call__(self, value: datetime, *, with_time: bool = False) -> str:
        local = timezone.localtime(value)
        time = dateformat.format(local, self.time_format)
        if local.date() == self.today:
            return time
        day = self._date(local)
        return f"{day}, {time}" if with_time else day
