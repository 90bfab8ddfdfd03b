"""Resolved incidents close after N business days of the calendar their resolution clock uses."""

from datetime import UTC, datetime, timedelta

import pytest

from opsdesk.core.testing.factories import UserFactory
from opsdesk.incidents import auto_close, clocks
from opsdesk.incidents.models import State
from opsdesk.incidents.testing import IncidentFactory
from tests.sla.factories import OFFICE_HOURS, CalendarFactory, PolicyFactory

pytestmark = pytest.mark.django_db


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def office(db):
    return CalendarFactory(name="London office", time_zone="Europe/London")


@pytest.fixture
def office_with_holiday(db):
    return CalendarFactory(
        name="London office, bank holiday",
        time_zone="Europe/London",
        holidays=[{"date": "2025-03-10", "name": "Bank holiday"}],
    )


@pytest.fixture
def always_open(db):
    return CalendarFactory(name="24x7", always_open=True, working_hours={})


def policy_for(department: str, calendar):
    return PolicyFactory(
        name=f"{department} support",
        conditions={"department": [department]},
        response_target=timedelta(hours=1),
        resolution_target=timedelta(hours=8),
        response_calendar=calendar,
        resolution_calendar=calendar,
    )


def resolved_incident(*, department: str | None, resolved_at: datetime):
    """An incident opened an hour before ``resolved_at`` whose clocks stopped at resolution.

    ``department=None`` gives a caller no SLA policy matches, so the incident has no clock.
    """
    caller = UserFactory(department=department or "Nobody's")
    incident = IncidentFactory(state=State.RESOLVED, caller=caller, resolved_at=resolved_at)
    clocks.incident_opened(incident=incident, at=resolved_at - timedelta(hours=1))
    clocks.incident_resolved(incident=incident, at=resolved_at)
    return incident


def states(*incidents) -> list[str]:
    for incident in incidents:
        incident.refresh_from_db()
    return [incident.state for incident in incidents]


def test_a_bank_holiday_in_the_incidents_calendar_closes_it_a_day_later(
    settings, office, office_with_holiday
):
    settings.OPSDESK_INCIDENT_AUTO_CLOSE_DAYS = 3
    policy_for("Finance", office)
    policy_for("Sales", office_with_holiday)
    thursday = at(2025, 3, 6, 10)
    plain = resolved_incident(department="Finance", resolved_at=thursday)
    holiday = resolved_incident(department="Sales", resolved_at=thursday)

    # Friday, Monday, Tuesday: the plain calendar's third business day ends Tuesday 10:00.
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 11, 9, 59)) == 0
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 11, 10)) == 1
    assert states(plain, holiday) == [State.CLOSED, State.RESOLVED]
    # Monday is a bank holiday in the other calendar: Friday, Tuesday, Wednesday.
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 12, 9, 59)) == 0
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 12, 10)) == 1
    assert states(holiday) == [State.CLOSED]
    holiday.refresh_from_db()
    assert holiday.closed_at == at(2025, 3, 12, 10)


def test_weekends_do_not_count_in_office_hours_but_do_in_24x7(settings, office, always_open):
    settings.OPSDESK_INCIDENT_AUTO_CLOSE_DAYS = 1
    policy_for("Finance", office)
    policy_for("Operations", always_open)
    friday = at(2025, 3, 7, 16)
    office_incident = resolved_incident(department="Finance", resolved_at=friday)
    round_the_clock = resolved_incident(department="Operations", resolved_at=friday)

    assert auto_close.incident_auto_close_due(now=at(2025, 3, 8, 16)) == 1  # Saturday
    assert states(office_incident, round_the_clock) == [State.RESOLVED, State.CLOSED]
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 9, 23)) == 0  # Sunday night
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 10, 16)) == 1  # Monday
    assert states(office_incident) == [State.CLOSED]


def test_working_saturdays_count_as_business_days(settings):
    settings.OPSDESK_INCIDENT_AUTO_CLOSE_DAYS = 1
    retail = CalendarFactory(
        name="Retail", working_hours={**OFFICE_HOURS, "sat": [["09:00", "13:00"]]}
    )
    policy_for("Shops", retail)
    incident = resolved_incident(department="Shops", resolved_at=at(2025, 3, 7, 16))
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 8, 16)) == 1
    assert states(incident) == [State.CLOSED]


def test_days_are_counted_in_the_calendars_time_zone(settings):
    settings.OPSDESK_INCIDENT_AUTO_CLOSE_DAYS = 1
    auckland = CalendarFactory(name="Auckland office", time_zone="Pacific/Auckland")
    policy_for("Wellington", auckland)
    # Thursday 23:00 UTC is Friday 12:00 in Auckland (UTC+13): the next business day there is
    # Monday, although in UTC Friday would be.
    incident = resolved_incident(department="Wellington", resolved_at=at(2025, 3, 6, 23))
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 7, 23)) == 0  # Saturday there
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 9, 22, 59)) == 0
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 9, 23)) == 1  # Monday 12:00 there
    assert states(incident) == [State.CLOSED]


def test_an_incident_without_a_clock_counts_monday_to_friday(settings, office):
    settings.OPSDESK_INCIDENT_AUTO_CLOSE_DAYS = 1
    policy_for("Finance", office)
    unclocked = resolved_incident(department=None, resolved_at=at(2025, 3, 7, 10))
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 9, 10)) == 0  # Sunday
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 10, 10)) == 1  # Monday
    assert states(unclocked) == [State.CLOSED]


def test_a_reopened_incident_counts_in_its_latest_cycles_calendar(settings, office, always_open):
    settings.OPSDESK_INCIDENT_AUTO_CLOSE_DAYS = 1
    policy = policy_for("Finance", always_open)
    incident = resolved_incident(department="Finance", resolved_at=at(2025, 3, 6, 10))
    # The desk moves Finance to office hours; the reopened incident's new cycle counts there.
    policy.response_calendar = policy.resolution_calendar = office
    policy.save()
    clocks.incident_reopened(incident=incident, at=at(2025, 3, 7, 9))
    clocks.incident_resolved(incident=incident, at=at(2025, 3, 7, 10))
    type(incident).objects.filter(pk=incident.pk).update(resolved_at=at(2025, 3, 7, 10))
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 8, 10)) == 0  # 24x7 would close
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 10, 10)) == 1
    assert states(incident) == [State.CLOSED]


def test_one_cutoff_per_calendar_whatever_the_number_of_incidents(
    settings, office, office_with_holiday, always_open, django_assert_max_num_queries
):
    settings.OPSDESK_INCIDENT_AUTO_CLOSE_DAYS = 3
    for department, calendar in (
        ("Finance", office),
        ("Sales", office_with_holiday),
        ("Operations", always_open),
    ):
        policy_for(department, calendar)
        for hour in range(9, 13):
            resolved_incident(department=department, resolved_at=at(2025, 3, 10, hour))
    resolved_incident(department=None, resolved_at=at(2025, 3, 10, 9))
    # Nothing is due yet: the calendars present, their rows, and the due list.
    with django_assert_max_num_queries(4):
        assert auto_close.incident_auto_close_due(now=at(2025, 3, 11, 9)) == 0
    # Thursday: three business days for office hours, 24x7 and no clock, but Monday was a
    # holiday in the other calendar, so its incidents count from Tuesday.
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 13, 12)) == 4 + 4 + 1
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 13, 23, 59)) == 0
    assert auto_close.incident_auto_close_due(now=at(2025, 3, 14, 0)) == 4
