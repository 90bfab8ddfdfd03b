"""Periods are days in the organisation's time zone (``OPSDESK_TIME_ZONE``)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


def organisation_zone() -> ZoneInfo:
    return ZoneInfo(settings.OPSDESK_TIME_ZONE)


def local_day(moment: datetime) -> date:
    """The organisation's calendar day ``moment`` fell on."""
    return moment.astimezone(organisation_zone()).date()


def local_day_or_none(moment: datetime | None) -> date | None:
    return None if moment is None else local_day(moment)


def day_start(day: date) -> datetime:
    """The instant the organisation's ``day`` began (aware; DST-safe)."""
    return datetime.combine(day, time.min, tzinfo=organisation_zone())


def day_end(day: date) -> datetime:
    """The instant after the organisation's ``day`` ended."""
    return day_start(day + timedelta(days=1))


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
