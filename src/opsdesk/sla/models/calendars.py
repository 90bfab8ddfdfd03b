from datetime import date
from functools import lru_cache
from zoneinfo import available_timezones

import holidays as holiday_data
from django.core.exceptions import ValidationError
from django.db import models

from opsdesk.core.models import TimestampedModel, VersionedModel
from opsdesk.sla.business_time import parse_clock

# Reading the zone database from disk once is enough.
_time_zones = lru_cache(maxsize=1)(available_timezones)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessCalendar(TimestampedModel, VersionedModel):
    """When the clock runs: a time zone, working hours per weekday and holidays.

    ``working_hours`` maps a weekday ("mon" … "sun") to intervals like [["08:00", "12:30"],
    ["13:30", "18:00"]]; a missing day is closed, and "24:00" ends an interval at midnight.
    ``always_open`` makes it a 24x7 calendar (hours and holidays are then ignored).
    """

    name = models.CharField(max_length=100, unique=True)
    # Validated in clean() rather than with choices, so new tz data needs no migration.
    time_zone = models.CharField(max_length=64, default="UTC", help_text="e.g. Europe/London")
    always_open = models.BooleanField("24x7", default=False)
    working_hours = models.JSONField(default=dict, blank=True)
    holidays = models.JSONField(
        default=list, blank=True, help_text='Explicit holidays: [{"date": "2025-12-24", "name": …}]'
    )
    holiday_country = models.CharField(
        max_length=3, blank=True, help_text="Adds this country's public holidays, e.g. GB."
    )
    holiday_subdivision = models.CharField(
        max_length=10, blank=True, help_text="Region of the country, e.g. ENG."
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        errors: dict[str, list[str]] = {}
        if self.time_zone not in _time_zones():
            errors["time_zone"] = [f"{self.time_zone!r} is not a time zone like Europe/London."]
        hours_errors = _check_working_hours(self.working_hours)
        if hours_errors:
            errors["working_hours"] = hours_errors
        elif not self.always_open and not any(self.working_hours.values()):
            errors["working_hours"] = ["Give at least one working interval, or make it 24x7."]
        holiday_errors = _check_holidays(self.holidays)
        if holiday_errors:
            errors["holidays"] = holiday_errors
        if self.holiday_country:
            self.holiday_country = self.holiday_country.upper()
            supported = holiday_data.list_supported_countries()
            if self.holiday_country not in supported:
                errors["holiday_country"] = [f"{self.holiday_country} is not a known country code."]
            elif self.holiday_subdivision and self.holiday_subdivision not in supported.get(
                self.holiday_country, []
            ):
                errors["holiday_subdivision"] = [
                    f"{self.holiday_subdivision} is not a subdivision of {self.holiday_country}."
                ]
        elif self.holiday_subdivision:
            errors["holiday_subdivision"] = ["Choose the country first."]
        if errors:
            raise ValidationError(errors)


def _check_working_hours(value) -> list[str]:
    if not isinstance(value, dict):
        return ['Use an object like {"mon": [["08:00", "18:00"]]}.']
    problems = []
    for day, intervals in value.items():
        if day not in WEEKDAYS:
            problems.append(f"{day!r} is not a weekday; use {', '.join(WEEKDAYS)}.")
            continue
        if not isinstance(intervals, list):
            problems.append(f"{day}: give a list of [start, end] pairs.")
            continue
        previous_end = 0
        for pair in intervals:
            if not (isinstance(pair, list | tuple) and len(pair) == 2):
                problems.append(f"{day}: {pair!r} is not a [start, end] pair.")
                continue
            try:
                start, end = parse_clock(str(pair[0])), parse_clock(str(pair[1]))
            except ValueError as error:
                problems.append(f"{day}: {error}.")
                continue
            if start >= end:
                problems.append(f"{day}: {pair[0]}–{pair[1]} ends before it starts.")
            elif start < previous_end:
                problems.append(f"{day}: intervals must be in order and must not overlap.")
            previous_end = max(previous_end, end)
    return problems


def _check_holidays(value) -> list[str]:
    if not isinstance(value, list):
        return ['Use a list like [{"date": "2025-12-24", "name": "Christmas Eve"}].']
    problems = []
    for item in value:
        raw = item.get("date") if isinstance(item, dict) else None
        try:
            date.fromisoformat(str(raw))
        except ValueError:
            problems.append(f"{raw!r} is not a date like 2025-12-24.")
    return problems
