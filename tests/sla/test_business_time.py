"""Business-time arithmetic: worked examples and hypothesis properties."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.sla.business_time import (
    CalendarSpec,
    add_business_time,
    business_time_between,
    parse_clock,
    twenty_four_seven,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)


def office(zone="Europe/London", holidays=(), saturday=()):
    day = ((8 * 60, 18 * 60),)
    return CalendarSpec(
        time_zone=zone, weekly=(day,) * 5 + (tuple(saturday), ()), holidays=frozenset(holidays)
    )


def at(zone, *args):
    return datetime(*args, tzinfo=zone)


def test_friday_afternoon_target_lands_on_monday_morning():
    spec = office()
    due = add_business_time(spec, at(LONDON, 2025, 3, 7, 16), 4 * H)
    assert due == at(LONDON, 2025, 3, 10, 10)


def test_holiday_is_skipped():
    spec = office(holidays={date(2025, 12, 25), date(2025, 12, 26)})
    due = add_business_time(spec, at(LONDON, 2025, 12, 24, 17), 2 * H)
    assert due == at(LONDON, 2025, 12, 29, 9)


def test_start_outside_hours_counts_from_next_opening():
    spec = office()
    assert add_business_time(spec, at(LONDON, 2025, 3, 8, 12), H) == at(LONDON, 2025, 3, 10, 9)


def test_several_intervals_a_day_and_one_ending_at_midnight():
    day = (
        (parse_clock("08:00"), parse_clock("12:00")),
        (parse_clock("20:00"), parse_clock("24:00")),
    )
    spec = CalendarSpec(time_zone="UTC", weekly=(day,) * 7)
    start = datetime(2025, 1, 6, 11, tzinfo=UTC)
    assert add_business_time(spec, start, 2 * H) == datetime(2025, 1, 6, 21, tzinfo=UTC)
    assert add_business_time(spec, start, 5 * H) == datetime(2025, 1, 7, 0, tzinfo=UTC)
    assert add_business_time(spec, start, 6 * H) == datetime(2025, 1, 7, 9, tzinfo=UTC)


def test_working_day_with_clock_change_is_an_hour_shorter():
    # 30 March 2025: clocks go forward at 01:00 in London; a Sunday 00:00–24:00 day is 23 h.
    sunday = ((0, 24 * 60),)
    spec = CalendarSpec(time_zone="Europe/London", weekly=((),) * 6 + (sunday,))
    start = at(LONDON, 2025, 3, 30, 0)
    assert business_time_between(spec, start, at(LONDON, 2025, 3, 31, 0)) == 23 * H


def test_24x7_is_plain_elapsed_time_across_daylight_saving():
    spec = twenty_four_seven("America/New_York")
    start = at(NEW_YORK, 2025, 11, 1, 12)
    assert add_business_time(spec, start, 24 * H) == start.astimezone(UTC) + 24 * H


def test_long_durations_skip_weeks_and_stay_exact():
    spec = office(holidays={date(2025, 5, 5), date(2025, 5, 26)})
    start = at(LONDON, 2025, 1, 6, 8)
    due = add_business_time(spec, start, 1000 * H)
    assert business_time_between(spec, start, due) == 1000 * H


def test_bad_specs_are_refused():
    with pytest.raises(ValueError):
        CalendarSpec(time_zone="UTC", weekly=((),) * 7)
    with pytest.raises(ValueError):
        CalendarSpec(time_zone="UTC", weekly=(((600, 500),),) + ((),) * 6)
    with pytest.raises(ValueError):
        add_business_time(office(), datetime(2025, 1, 1), H)  # naive


# --- properties ----------------------------------------------------------------------------
ZONES = ["Europe/London", "America/New_York", "UTC"]
interval = st.tuples(st.integers(0, 47), st.integers(1, 48)).map(
    lambda p: (p[0] * 30, min(1440, p[0] * 30 + p[1] * 30))
)


@st.composite
def specs(draw):
    zone = draw(st.sampled_from(ZONES))
    days = []
    for _ in range(7):
        raw = sorted(draw(st.lists(interval, max_size=3)))
        day, end = [], 0
        for s, e in raw:
            if s >= end and e > s:
                day.append((s, e))
                end = e
        days.append(tuple(day))  # an empty tuple is a zero-length day
    if not any(days):
        days[0] = ((9 * 60, 17 * 60),)
    holidays = draw(st.frozensets(st.dates(date(2024, 1, 1), date(2026, 12, 31)), max_size=8))
    return CalendarSpec(time_zone=zone, weekly=tuple(days), holidays=holidays)


# Instants around the 2024–2026 clock changes are common; keep them in range.
instants = st.datetimes(datetime(2024, 1, 1), datetime(2026, 6, 30)).map(
    lambda d: d.replace(tzinfo=UTC)
)
durations = st.integers(0, 60 * 24 * 40).map(lambda m: timedelta(minutes=m))


@settings(max_examples=120, deadline=None)
@given(spec=specs(), start=instants, duration=durations)
def test_adding_then_measuring_returns_the_duration(spec, start, duration):
    due = add_business_time(spec, start, duration)
    assert due >= start
    assert business_time_between(spec, start, due) == duration


@settings(max_examples=80, deadline=None)
@given(spec=specs(), start=instants, a=durations, b=durations)
def test_adding_is_monotonic(spec, start, a, b):
    small, large = sorted((a, b))
    assert add_business_time(spec, start, small) <= add_business_time(spec, start, large)


@settings(max_examples=80, deadline=None)
@given(spec=specs(), start=instants, gap=durations, extra=durations)
def test_measuring_is_monotonic_and_additive(spec, start, gap, extra):
    middle, end = start + gap, start + gap + extra
    first = business_time_between(spec, start, middle)
    second = business_time_between(spec, middle, end)
    assert business_time_between(spec, start, end) == first + second
    assert first <= gap


@settings(max_examples=80, deadline=None)
@given(spec=specs(), start=instants, gap=durations)
def test_measured_time_added_back_never_overshoots(spec, start, gap):
    end = start + gap
    measured = business_time_between(spec, start, end)
    back = add_business_time(spec, start, measured)
    assert back <= end
    assert business_time_between(spec, start, back) == measured


@settings(max_examples=80, deadline=None)
@given(zone=st.sampled_from(ZONES), start=instants, duration=durations)
def test_a_full_week_calendar_equals_24x7_even_across_clock_changes(zone, start, duration):
    full = CalendarSpec(time_zone=zone, weekly=(((0, 1440),),) * 7)
    assert add_business_time(full, start, duration) == start + duration
    assert business_time_between(full, start, start + duration) == duration


@settings(max_examples=100, deadline=None)
@given(start=instants, duration=durations, holiday=st.dates(date(2024, 1, 1), date(2026, 12, 31)))
def test_a_holiday_never_shortens_the_deadline(start, duration, holiday):
    plain, with_holiday = office(), office(holidays={holiday})
    assert add_business_time(with_holiday, start, duration) >= add_business_time(
        plain, start, duration
    )


@settings(max_examples=100, deadline=None)
@given(start=instants, duration=durations)
def test_weekends_never_count(start, duration):
    spec = office()
    due = add_business_time(spec, start, duration)
    if duration:
        assert due.astimezone(LONDON).weekday() < 5
