"""Reading a timer's clock: the calendar spec it counts in, elapsed and remaining time, due time.

Everything here computes; nothing writes. ``services`` moves the clocks.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays as holiday_data

from opsdesk.sla.business_time import (
    ZERO,
    CalendarSpec,
    add_business_time,
    business_time_between,
    parse_clock,
    twenty_four_seven,
)
from opsdesk.sla.models import BusinessCalendar, SlaTimer, TimerState
from opsdesk.sla.models.calendars import WEEKDAYS

# Country holidays are loaded for this many years either side of the instant being computed.
_HOLIDAY_YEARS_BEFORE, _HOLIDAY_YEARS_AFTER = 1, 4


@lru_cache(maxsize=64)
def _country_holidays(country: str, subdivision: str, years: tuple[int, ...]) -> frozenset[date]:
    found = holiday_data.country_holidays(country, subdiv=subdivision or None, years=years)
    return frozenset(found.keys())


def holiday_names(calendar: BusinessCalendar, years: list[int]) -> dict[date, str]:
    names: dict[date, str] = {}
    if calendar.holiday_country:
        found = holiday_data.country_holidays(
            calendar.holiday_country, subdiv=calendar.holiday_subdivision or None, years=years
        )
        names.update(found.items())
    for item in calendar.holidays:
        day = date.fromisoformat(item["date"])
        if day.year in years:
            names[day] = item.get("name") or "Holiday"
    return dict(sorted(names.items()))


def calendar_spec(calendar: BusinessCalendar, *, around: datetime) -> CalendarSpec:
    """The pure spec of a calendar, with country holidays for the years around ``around``."""
    if calendar.always_open:
        return twenty_four_seven(calendar.time_zone)
    weekly = tuple(
        tuple(
            (parse_clock(start), parse_clock(end))
            for start, end in calendar.working_hours.get(day, [])
        )
        for day in WEEKDAYS
    )
    days = {date.fromisoformat(item["date"]) for item in calendar.holidays}
    if calendar.holiday_country:
        years = tuple(
            range(around.year - _HOLIDAY_YEARS_BEFORE, around.year + _HOLIDAY_YEARS_AFTER + 1)
        )
        days |= _country_holidays(calendar.holiday_country, calendar.holiday_subdivision, years)
    return CalendarSpec(time_zone=calendar.time_zone, weekly=weekly, holidays=frozenset(days))


def compute_due(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    return add_business_time(calendar_spec(calendar, around=start), start, duration)


def elapsed_at(timer: SlaTimer, now: datetime) -> timedelta:
    """Business time the clock has counted by ``now`` (frozen while paused or stopped)."""
    if timer.state != TimerState.RUNNING or now <= timer.elapsed_at:
        return timer.elapsed
    spec = calendar_spec(timer.calendar, around=timer.elapsed_at)
    return timer.elapsed + business_time_between(spec, timer.elapsed_at, now)


def remaining_at(timer: SlaTimer, now: datetime) -> timedelta | None:
    """Business time left before the target runs out; negative once it has; None without one."""
    if timer.target is None:
        return None
    return timer.target - elapsed_at(timer, now)


def instant_of(timer: SlaTimer, business_elapsed: timedelta) -> datetime:
    """When a running clock reaches ``business_elapsed``, counted from its checkpoint.

    A point already passed is reported as the checkpoint itself: history cannot be re-run
    backwards through pauses, and the clock only needs to know it is overdue.
    """
    if business_elapsed <= timer.elapsed:
        return timer.elapsed_at
    return compute_due(timer.calendar, timer.elapsed_at, business_elapsed - timer.elapsed)


def due_of(timer: SlaTimer) -> datetime | None:
    if timer.state != TimerState.RUNNING or timer.target is None:
        return None
    return instant_of(timer, timer.target)


def next_check_of(timer: SlaTimer) -> datetime | None:
    """The next warning or breach the periodic check must publish, as an instant."""
    if timer.state != TimerState.RUNNING or timer.target is None:
        return None
    if timer.breached_at is not None:
        return None
    for threshold in timer.policy.warning_thresholds:
        if threshold > timer.warned_threshold:
            return instant_of(timer, timer.target * threshold / 100)
    return timer.due_at


def percent_used(timer: SlaTimer, now: datetime) -> int | None:
    if not timer.target:
        return None
    used = elapsed_at(timer, now) / timer.target
    return max(0, int(used * 100))


def tone(timer: SlaTimer, now: datetime) -> str:
    """ok, warn or danger, for the badge shown next to the clock."""
    if timer.breached_at is not None or timer.state == TimerState.BREACHED:
        return "danger"
    if timer.state in (TimerState.MET, TimerState.CANCELLED, TimerState.PAUSED):
        return "ok" if timer.state == TimerState.MET else ""
    used = percent_used(timer, now)
    if used is None:
        return "ok"
    if used > 100:
        return "danger"  # overdue, even before the periodic check has recorded the breach
    return "warn" if used >= 75 else "ok"


__all__ = [
    "ZERO",
    "calendar_spec",
    "compute_due",
    "due_of",
    "elapsed_at",
    "holiday_names",
    "next_check_of",
    "percent_used",
    "remaining_at",
    "tone",
]
