"""Business-time arithmetic: pure functions over a calendar spec, no Django.

A calendar is a time zone, working intervals per weekday in local wall-clock time (several per
day; an interval may end at 24:00) and holiday dates. Business time is the real time that
falls inside working intervals, so a 24x7 calendar measures plain elapsed time even across a
daylight-saving change, and a working day that contains a clock change is an hour shorter or
longer. Whole weeks without holidays or clock changes are skipped arithmetically.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
ZERO = timedelta(0)
# A calendar with working time finds any realistic target well within this many days;
# past it something is wrong (for example every day is a holiday) and we refuse to loop on.
_MAX_DAYS = 366 * 20

Interval = tuple[int, int]  # minutes from local midnight: [start, end), end <= 1440


@dataclass(frozen=True)
class CalendarSpec:
    time_zone: str = "UTC"
    # Monday first; seven tuples of (start_minute, end_minute), sorted and not overlapping.
    weekly: tuple[tuple[Interval, ...], ...] = field(default_factory=lambda: ((),) * 7)
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    def __post_init__(self):
        ZoneInfo(self.time_zone)  # raises for an unknown zone
        if len(self.weekly) != 7:
            raise ValueError("weekly needs seven days, Monday first")
        for day in self.weekly:
            previous_end = 0
            for start, end in day:
                if not 0 <= start < end <= MINUTES_PER_DAY:
                    raise ValueError(f"interval {start}-{end} is not within one day")
                if start < previous_end:
                    raise ValueError("intervals of a day must be sorted and must not overlap")
                previous_end = end
        if not self.always_open and not any(self.weekly):
            raise ValueError("the calendar has no working time at all")

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.time_zone)

    @property
    def week_minutes(self) -> int:
        return sum(end - start for day in self.weekly for start, end in day)


def twenty_four_seven(time_zone: str = "UTC") -> CalendarSpec:
    return CalendarSpec(
        time_zone=time_zone, weekly=(((0, MINUTES_PER_DAY),),) * 7, always_open=True
    )


def parse_clock(text: str) -> int:
    """ "08:30" -> 510 minutes; "24:00" is the end of the day."""
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"{text!r} is not a time like 08:30")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(f"{text!r} is not a time between 00:00 and 24:00")
    return value


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local_instant(zone: ZoneInfo, day: date, minute: int) -> datetime:
    if minute == MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    # fold=0: an ambiguous wall time is its first occurrence; a skipped one maps past the gap.
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return local.astimezone(UTC)


@lru_cache(maxsize=8192)
def _day_intervals(spec: CalendarSpec, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The working intervals of one local day as UTC instants."""
    if day in spec.holidays:
        return ()
    zone = spec.zone
    out = []
    for start, end in spec.weekly[day.weekday()]:
        begin, finish = _local_instant(zone, day, start), _local_instant(zone, day, end)
        if finish > begin:
            out.append((begin, finish))
    return tuple(out)


@lru_cache(maxsize=256)
def _sorted_holidays(holidays: frozenset[date]) -> tuple[date, ...]:
    return tuple(sorted(holidays))


def _clean_week(spec: CalendarSpec, day: date) -> bool:
    """True when [day, day+7) has no holiday and no clock change, so it is exactly one week."""
    dates = _sorted_holidays(spec.holidays)
    index = bisect.bisect_left(dates, day)
    if index < len(dates) and dates[index] < day + timedelta(days=7):
        return False
    zone = spec.zone
    first = datetime.combine(day, time(), tzinfo=zone).utcoffset()
    last = datetime.combine(day + timedelta(days=7), time(), tzinfo=zone).utcoffset()
    return first == last


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def add_business_time(spec: CalendarSpec, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant by which ``duration`` of business time has passed since ``start``."""
    start = _aware(start, "start")
    if duration < ZERO:
        raise ValueError("duration must not be negative")
    if spec.always_open or duration == ZERO:
        return start + duration
    remaining = duration
    week = timedelta(minutes=spec.week_minutes)
    day = start.astimezone(spec.zone).date()
    for _ in range(_MAX_DAYS):
        for begin, finish in _day_intervals(spec, day):
            if finish <= start:
                continue
            begin = max(begin, start)
            length = finish - begin
            if remaining <= length:
                return begin + remaining
            remaining -= length
        day += timedelta(days=1)
        while remaining > week and _clean_week(spec, day):
            remaining -= week
            day += timedelta(days=7)
    raise ValueError("the calendar has no working time in the next twenty years")


def business_time_between(spec: CalendarSpec, start: datetime, end: datetime) -> timedelta:
    """Business time inside [start, end); zero when ``end`` is not after ``start``."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if end <= start:
        return ZERO
    if spec.always_open:
        return end - start
    zone = spec.zone
    day = start.astimezone(zone).date()
    last_day = end.astimezone(zone).date()
    week = timedelta(minutes=spec.week_minutes)
    total = ZERO
    while day <= last_day:
        for begin, finish in _day_intervals(spec, day):
            begin, finish = max(begin, start), min(finish, end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
        # A whole clean week strictly before the last day lies entirely inside [start, end).
        while day + timedelta(days=7) < last_day and _clean_week(spec, day):
            total += week
            day += timedelta(days=7)
    return total


# --- business days ----------------------------------------------------------------------------
MAX_IDLE_DAYS = 366


def weekdays_only(time_zone: str) -> CalendarSpec:
    """Monday to Friday, all day, in ``time_zone``: the calendar of a record without a clock.

    "Business days" promise working days (to dispute a resolution, say), which a plain 24x7
    count would not keep over a weekend.
    """
    return CalendarSpec(time_zone=time_zone, weekly=(((0, MINUTES_PER_DAY),),) * 5 + ((), ()))


def is_business_day(spec: CalendarSpec, day: date) -> bool:
    """A day with working time in the calendar: not a holiday, and hours on that weekday."""
    return spec.always_open or (day not in spec.holidays and bool(spec.weekly[day.weekday()]))


def business_days_before(moment: datetime, days: int, spec: CalendarSpec) -> datetime:
    """The latest time that has had ``days`` business days of ``spec`` by ``moment``.

    A record resolved at some time of day has had N business days at that time of day on the
    N-th business day after: resolved Friday 16:00 it has had one on Monday 16:00 (Monday to
    Friday). Days are local to the calendar's zone; a day without working time (weekend,
    holiday) does not count, and one resolved on such a day counts from the next business day.
    Nothing becomes due on a day without working time.
    """
    zone = ZoneInfo(spec.time_zone)
    local = moment.astimezone(zone)
    day, wall = local.date(), local.time()
    if not is_business_day(spec, day):
        # As if it were the last instant of the last business day.
        day, wall = _previous_business_day(spec, day), time.max
    for _ in range(days):
        day = _previous_business_day(spec, day)
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _previous_business_day(spec: CalendarSpec, day: date) -> date:
    for _ in range(MAX_IDLE_DAYS):
        day -= timedelta(days=1)
        if is_business_day(spec, day):
            return day
    raise ValueError("the calendar has no working day in a whole year")
