"""CSAT: the share of answers rated 4–5 by the day they were answered, with the response
rate of the surveys sent in the period, narrowed and grouped through the surveyed record."""

from datetime import UTC, date, datetime, timedelta

import pytest

from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.reporting.metrics import Filters, compute, metric
from opsdesk.reporting.models import RecordFact
from opsdesk.servicedesk.models import Survey

pytestmark = pytest.mark.django_db


def at(month, day, hour=10):
    return datetime(2026, month, day, hour, tzinfo=UTC)


def fact(n, team):
    return RecordFact.objects.create(
        record_type="incident",
        record_id=n,
        number=f"INC{n:07}",
        team=team,
        state="resolved",
        is_open=False,
        opened_at=at(2, 20),
        opened_on=date(2026, 2, 20),
        refreshed_at=at(2, 20),
    )


def survey(n, caller, sent, *, answered=None, rating=None):
    made = Survey.objects.create(
        record_type="incident",
        record_id=n,
        number=f"INC{n:07}",
        caller=caller,
        expires_at=sent + timedelta(days=7),
        rating=rating,
        answered_at=answered,
    )
    Survey.objects.filter(pk=made.pk).update(created_at=sent)  # created_at is set on save
    return made


@pytest.fixture
def surveys(db):
    a, b = TeamFactory(name="Network"), TeamFactory(name="Desktop")
    caller = UserFactory()
    for n, team in [(1, a), (2, b), (3, a), (4, b), (5, a), (6, b)]:
        fact(n, team)
    # record, sent, answered, rating
    survey(1, caller, at(3, 2), answered=at(3, 3), rating=5)
    survey(2, caller, at(3, 2), answered=at(3, 4), rating=4)
    survey(3, caller, at(3, 3), answered=at(3, 3, 15), rating=2)
    survey(4, caller, at(3, 4))  # never answered (expired on the 11th)
    survey(5, caller, at(3, 5), answered=at(3, 10), rating=5)  # answered after the period
    survey(6, caller, at(2, 25), answered=at(3, 2), rating=3)  # sent before the period
    return {"network": a, "desktop": b}


WEEK = Filters(start=date(2026, 3, 2), end=date(2026, 3, 8))


def figures(row):
    return (row["numerator"], row["denominator"], row["value"])


def rates(row):
    return (row["responses"], row["sent"], row["response_rate"])


def test_csat_is_the_share_rated_4_or_5_with_the_response_rate(surveys):
    result = compute("csat", WEEK)
    # Answered 2–8 March: INC1 (5), INC2 (4), INC3 (2), INC6 (3) → 2 of 4 rated 4–5.
    assert figures(result.total) == (2, 4, 0.5)
    # Sent 2–8 March: INC1–INC5 = 5; answered (whenever): INC1, 2, 3, 5 = 4 → 0.8.
    assert rates(result.total) == (4, 5, 0.8)
    assert result.rows == []


def test_csat_through_the_surveyed_records_team(surveys):
    network = compute("csat", WEEK.with_(team=surveys["network"].pk))
    # Network: answered INC1 (5), INC3 (2) → 1 of 2; sent INC1, 3, 5, all answered → 3 of 3.
    assert (figures(network.total), rates(network.total)) == ((1, 2, 0.5), (3, 3, 1.0))
    by_team = compute("csat", WEEK.with_(group_by="team"))
    assert {row["label"]: (figures(row), rates(row)) for row in by_team.rows} == {
        # Desktop: answered INC2 (4), INC6 (3) → 1 of 2; sent INC2, INC4 → 1 of 2.
        "Desktop": ((1, 2, 0.5), (1, 2, 0.5)),
        "Network": ((1, 2, 0.5), (3, 3, 1.0)),
    }


def test_csat_by_day_answers_by_day_answered_and_rates_by_day_sent(surveys):
    by_day = compute("csat", WEEK.with_(group_by="day"))
    assert {row["group"]: (figures(row), rates(row)) for row in by_day.rows} == {
        # answered: INC6 (3); sent: INC1, INC2, both answered
        "2026-03-02": ((0, 1, 0.0), (2, 2, 1.0)),
        # answered: INC1 (5), INC3 (2); sent: INC3, answered
        "2026-03-03": ((1, 2, 0.5), (1, 1, 1.0)),
        # answered: INC2 (4); sent: INC4, never answered
        "2026-03-04": ((1, 1, 1.0), (0, 1, 0.0)),
        # nothing answered; sent: INC5, answered on the 10th
        "2026-03-05": ((0, 0, None), (1, 1, 1.0)),
    }


def test_the_records_behind_csat_are_those_answered(surveys):
    records = metric("csat").records(WEEK)
    assert sorted(records.values_list("record_id", flat=True)) == [1, 2, 3, 6]


def test_no_surveys_no_csat(db):
    result = compute("csat", WEEK)
    assert figures(result.total) == (0, 0, None) and rates(result.total) == (0, 0, None)
