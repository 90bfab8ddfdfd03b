from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from opsdesk.core.testing.factories import TeamFactory
from tests.sla.factories import CalendarFactory, PolicyFactory

LONDON = ZoneInfo("Europe/London")


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture
def office(db):
    """Mon–Fri 08:00–18:00 London, closed on Good Friday and Easter Monday 2025."""
    return CalendarFactory(
        name="Office",
        holidays=[
            {"date": "2025-04-18", "name": "Good Friday"},
            {"date": "2025-04-21", "name": "Easter Monday"},
        ],
    )


@pytest.fixture
def always(db):
    return CalendarFactory(name="24x7", always_open=True, working_hours={})


@pytest.fixture
def policies(office, always):
    """P1 on 24x7 (30 min / 4 h), P3 in office hours (4 h / 2 business days), by priority."""
    return {
        "P1": PolicyFactory(
            name="P1",
            order=10,
            conditions={"priority": ["P1"]},
            response_target=timedelta(minutes=30),
            response_calendar=always,
            resolution_target=timedelta(hours=4),
            resolution_calendar=always,
            ola_target=timedelta(hours=2),
        ),
        "P3": PolicyFactory(
            name="P3",
            order=30,
            conditions={"priority": ["P3"]},
            response_target=timedelta(hours=4),
            response_calendar=office,
            resolution_target=timedelta(hours=20),
            resolution_calendar=office,
            ola_target=timedelta(hours=10),
        ),
    }


@pytest.fixture
def ticket(db):
    """Any model instance can carry clocks; a team stands in for an incident here."""
    return TeamFactory(name="INC0001001")
