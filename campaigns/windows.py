"""Send windows in the recipient's time zone (default Monday to Saturday, 09:00 to 20:00).

The zone comes from the contact's `time_zone` attribute when it has a valid one, else from
the phone number's country, else the organisation's (settings.CAMPAIGN_TIME_ZONE). The
window lives in the database (each recipient's `not_before`), never in the broker."""

import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.conf import settings

# The country's main zone; a country with several (the US) takes its most populous one.
COUNTRY_ZONES = {
    "DE": "Europe/Berlin", "AT": "Europe/Vienna", "CH": "Europe/Zurich", "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo", "DK": "Europe/Copenhagen", "FI": "Europe/Helsinki",
    "NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "LU": "Europe/Luxembourg",
    "FR": "Europe/Paris", "ES": "Europe/Madrid", "PT": "Europe/Lisbon", "IT": "Europe/Rome",
    "GB": "Europe/London", "IE": "Europe/Dublin", "PL": "Europe/Warsaw", "CZ": "Europe/Prague",
    "SK": "Europe/Bratislava", "HU": "Europe/Budapest", "SI": "Europe/Ljubljana",
    "HR": "Europe/Zagreb", "RO": "Europe/Bucharest", "BG": "Europe/Sofia",
    "GR": "Europe/Athens", "EE": "Europe/Tallinn", "LV": "Europe/Riga", "LT": "Europe/Vilnius",
    "IS": "Atlantic/Reykjavik", "TR": "Europe/Istanbul", "US": "America/New_York",
    "CA": "America/Toronto", "AU": "Australia/Sydney", "NZ": "Pacific/Auckland",
    "IN": "Asia/Kolkata", "JP": "Asia/Tokyo", "BR": "America/Sao_Paulo",
}  # fmt: skip


def organisation_zone() -> str:
    return str(getattr(settings, "CAMPAIGN_TIME_ZONE", "Europe/Berlin"))


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_name_for(attributes: Any, address: str) -> str:
    """The recipient's zone name (always a valid one)."""
    given = attributes.get("time_zone") if isinstance(attributes, dict) else None
    if isinstance(given, str) and given and _zone(given) is not None:
        return given
    if address.startswith("+"):
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(address, None))
        except phonenumbers.NumberParseException:
            region = None
        if region in COUNTRY_ZONES:
            return COUNTRY_ZONES[region]
    return organisation_zone()


def next_opening(
    at: datetime.datetime,
    zone_name: str,
    days: list[int],
    start: datetime.time,
    end: datetime.time,
) -> datetime.datetime:
    """`at` when it lies inside the window, else the window's next opening (aware, UTC).
    No days at all, or start not before end, means "any time"."""
    zone = _zone(zone_name) or _zone(organisation_zone()) or ZoneInfo("UTC")
    if not days or start >= end:
        return at
    local = at.astimezone(zone)
    for offset in range(8):
        day = (local + datetime.timedelta(days=offset)).date()
        if day.weekday() not in days:
            continue
        opens = datetime.datetime.combine(day, start, tzinfo=zone)
        closes = datetime.datetime.combine(day, end, tzinfo=zone)
        if offset == 0 and opens <= local < closes:
            return at
        if local < opens:
            return opens.astimezone(datetime.UTC)
    return at


def is_open(
    at: datetime.datetime,
    zone_name: str,
    days: list[int],
    start: datetime.time,
    end: datetime.time,
) -> bool:
    return next_opening(at, zone_name, days, start, end) <= at
