"""The ground every metric stands on: one percentile definition on both databases, a fact
row per ticket kept up to date by the outbox, and filters that refuse bad input."""

from datetime import UTC, date, datetime, timedelta

import pytest

from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.incidents import services
from opsdesk.incidents.testing import resolution_code
from opsdesk.reporting.aggregates import Percentile
from opsdesk.reporting.metrics import FilterError, Filters
from opsdesk.reporting.models import RecordFact
from opsdesk.reporting.services import record_fact_refresh

pytestmark = pytest.mark.django_db


def _fact(n, seconds):
    moment = datetime(2026, 3, 2, 9, tzinfo=UTC)
    return RecordFact(
        record_type="incident",
        record_id=n,
        number=f"INC{n:07}",
        state="resolved",
        is_open=False,
        opened_at=moment,
        opened_on=moment.date(),
        resolve_seconds=seconds,
        refreshed_at=moment,
    )


def test_percentiles_interpolate_like_percentile_cont_on_both_databases():
    # Values 10, 20, 30, 40 (and a record with none, which does not count).
    RecordFact.objects.bulk_create(
        [_fact(1, 40), _fact(2, 10), _fact(3, 30), _fact(4, 20), _fact(5, None)]
    )
    figures = RecordFact.objects.aggregate(
        median=Percentile("resolve_seconds", 0.5),
        p90=Percentile("resolve_seconds", 0.9),
        p0=Percentile("resolve_seconds", 0),
    )
    # median: rank 0.5 × 3 = 1.5 → 20 + 0.5 × (30 − 20) = 25
    # p90: rank 0.9 × 3 = 2.7 → 30 + 0.7 × (40 − 30) = 37
    assert figures == {"median": 25.0, "p90": pytest.approx(37.0), "p0": 10.0}


def test_percentile_of_nothing_is_empty():
    assert RecordFact.objects.aggregate(p=Percentile("resolve_seconds", 0.5)) == {"p": None}


def test_a_resolved_incident_has_its_fact_row_after_the_outbox_delivers(desk_agent, caller, team):
    incident = services.incident_open(
        actor=desk_agent, caller=caller, short_description="Printer jams", assignment_group=team
    )
    services.incident_transition(
        actor=desk_agent,
        incident=incident,
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes="Cleared the tray",
    )
    outbox_deliver_due(now=datetime.now(UTC) + timedelta(minutes=1))
    fact = RecordFact.objects.get(record_type="incident", record_id=incident.pk)
    assert (fact.number, fact.state, fact.is_open, fact.team_id) == (
        incident.number,
        "resolved",
        False,
        team.pk,
    )
    assert fact.resolve_seconds is not None and fact.resolve_seconds >= 0


def test_a_deleted_record_loses_its_fact_row(desk_agent, caller):
    incident = services.incident_open(actor=desk_agent, caller=caller, short_description="x")
    record_id = incident.pk
    record_fact_refresh(record_type="incident", record_id=record_id)
    incident.delete()
    record_fact_refresh(record_type="incident", record_id=record_id)
    assert not RecordFact.objects.exists()


@pytest.mark.parametrize(
    "query, field",
    [
        ({"start": "yesterday"}, "start"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end"),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "start"),
        ({"team": "Service Desk"}, "team"),
        ({"group_by": "colour"}, "group_by"),
        ({"record_type": "spaceship"}, "record_type"),
    ],
)
def test_bad_filters_name_the_field(query, field):
    with pytest.raises(FilterError) as refused:
        Filters.from_query(query)
    assert field in refused.value.errors


def test_filters_round_trip_through_the_url():
    filters = Filters.from_query(
        {
            "start": "2026-03-01",
            "end": "2026-03-31",
            "team": "4",
            "group_by": "week",
            "time": "business",
        }
    )
    assert Filters.from_query(filters.to_query()) == filters
    assert filters.narrow("2026-03-30") == filters.with_(
        start=date(2026, 3, 30), end=date(2026, 3, 31), group_by=""
    )


def test_requesters_are_refused_the_figures_and_the_records(caller):
    from opsdesk.core.errors import NotPermitted
    from opsdesk.reporting.selectors import metric_records, metric_result

    with pytest.raises(NotPermitted):
        metric_result(key="opened", filters=Filters.default(), viewer=caller)
    assert not metric_records(key="opened", filters=Filters.default(), viewer=caller).exists()
