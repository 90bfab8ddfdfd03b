"""SLA and OLA compliance and the time each group held a record, against fixtures whose
arithmetic is written beside them. Periods are organisation days (UTC here unless set)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from opsdesk.core.models import HistoryChange, TicketHistory
from opsdesk.core.testing.factories import TeamFactory
from opsdesk.incidents import services as incidents
from opsdesk.incidents.models import Incident
from opsdesk.incidents.testing import resolution_code
from opsdesk.reporting.metrics import Filters, compute, metric
from opsdesk.reporting.models import GroupHold, RecordFact
from opsdesk.reporting.services import record_fact_refresh
from opsdesk.reporting.services.holds import group_holds_write
from opsdesk.sla.models import SlaTimer, TimerKind, TimerState
from tests.sla.factories import CalendarFactory, PolicyFactory

pytestmark = pytest.mark.django_db

MET, BREACHED = TimerState.MET, TimerState.BREACHED
CANCELLED, RUNNING = TimerState.CANCELLED, TimerState.RUNNING
RESPONSE, RESOLUTION, OLA = TimerKind.RESPONSE, TimerKind.RESOLUTION, TimerKind.OLA
LONDON = ZoneInfo("Europe/London")


def fact(n, *, team=None, priority=3, calendar=None, opened=None, **values):
    opened = opened or datetime(2026, 3, 1, 9, tzinfo=UTC)
    return RecordFact.objects.create(
        record_type="incident",
        record_id=n,
        number=f"INC{n:07}",
        team=team,
        priority=priority,
        calendar=calendar,
        state=values.pop("state", "resolved"),
        is_open=values.pop("is_open", False),
        opened_at=opened,
        opened_on=opened.date(),
        refreshed_at=opened,
        **values,
    )


def timer(record, kind, state, stopped, *, policy, cycle=1, team=None, target=None, started=None):
    started = started or (stopped or datetime(2026, 3, 1, 9, tzinfo=UTC)) - timedelta(hours=1)
    return SlaTimer.objects.create(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=str(record.record_id),
        record_type=record.record_type,
        cycle=cycle,
        kind=kind,
        team=team,
        policy=policy,
        calendar=policy.response_calendar,
        target=target or timedelta(hours=1),
        state=state,
        started_at=started,
        elapsed=timedelta(0),
        elapsed_at=started,
        stopped_at=stopped,
    )


def at(day, hour=10):
    return datetime(2026, 3, day, hour, tzinfo=UTC)


MARCH = Filters(start=date(2026, 3, 1), end=date(2026, 3, 3))


@pytest.fixture
def clocks(db):
    """Three incidents on two policies; what each clock counts for is written beside it."""
    a, b = TeamFactory(name="Network"), TeamFactory(name="Desktop")
    gold, silver = PolicyFactory(name="Gold"), PolicyFactory(name="Silver")
    inc1 = fact(1, team=a, priority=1)
    inc2 = fact(2, team=b, priority=3)
    inc3 = fact(3, team=a, priority=3)
    timer(inc1, RESPONSE, MET, at(2), policy=gold)  # Gold response: met
    timer(inc1, RESOLUTION, BREACHED, at(2), policy=gold)  # Gold resolution, cycle 1: breached
    # Reopened: cycle 2's resolution clock counts on its own.
    timer(inc1, RESOLUTION, MET, at(2, 15), policy=gold, cycle=2)  # Gold resolution: met
    timer(inc2, RESPONSE, MET, at(2), policy=silver)  # Silver response: met
    timer(inc2, RESOLUTION, MET, at(3), policy=silver)  # Silver resolution: met (3 March)
    timer(inc2, RESOLUTION, MET, at(5), policy=silver, cycle=2)  # after the period
    timer(inc3, RESPONSE, BREACHED, at(2), policy=gold)  # Gold response: breached
    timer(inc3, RESOLUTION, CANCELLED, at(2), policy=gold)  # cancelled: left out
    timer(inc3, RESOLUTION, RUNNING, None, policy=gold, cycle=2)  # running: not completed
    # OLA clocks, per assignment group (the timer's own team).
    timer(inc1, OLA, MET, at(2), policy=gold, team=a)
    timer(inc1, OLA, BREACHED, at(2), policy=gold, team=b)
    timer(inc2, OLA, MET, at(2), policy=silver, team=b)
    timer(inc3, OLA, CANCELLED, at(2), policy=gold, team=a)
    return {"network": a, "desktop": b, "gold": gold, "silver": silver}


def figures(row):
    return (row["numerator"], row["denominator"], row["value"])


def test_sla_compliance_is_met_over_completed_per_policy_and_target(clocks):
    result = compute("sla_compliance", MARCH)
    # Completed in 1–3 March: INC1 3 (met, breached, cycle 2 met), INC2 2 (met, met),
    # INC3 1 (breached; its cancelled and running clocks do not count) → 4 met of 6.
    assert figures(result.total) == (4, 6, pytest.approx(4 / 6))
    assert result.total["breached"] == 2
    by_target = {row["group"]: figures(row) for row in result.rows}
    assert by_target == {
        "Gold · Resolution": (1, 2, 0.5),  # INC1 cycle 1 breached, cycle 2 met
        "Gold · Response": (1, 2, 0.5),  # INC1 met, INC3 breached
        "Silver · Resolution": (1, 1, 1.0),  # the 5 March clock is outside the period
        "Silver · Response": (1, 1, 1.0),
    }
    assert [row["label"] for row in result.rows] == list(by_target)
    gold_response = result.rows[1]
    assert (gold_response["policy"], gold_response["target"]) == (clocks["gold"].pk, "response")


def test_sla_compliance_filters_and_groups_through_the_record(clocks):
    network = clocks["network"].pk
    # Network's records INC1 and INC3: met 2 (INC1 response, cycle 2) of 4.
    assert figures(compute("sla_compliance", MARCH.with_(team=network)).total) == (2, 4, 0.5)
    # Priority 3, INC2 and INC3: met 2 of 3.
    assert figures(compute("sla_compliance", MARCH.with_(priority=3)).total)[:2] == (2, 3)
    by_team = compute("sla_compliance", MARCH.with_(group_by="team"))
    assert {row["label"]: figures(row)[:2] for row in by_team.rows} == {
        "Network": (2, 4),
        "Desktop": (2, 2),
    }
    by_day = compute("sla_compliance", MARCH.with_(group_by="day"))
    # The day the clock stopped: 2 March 3 of 5, 3 March INC2's resolution 1 of 1.
    assert {row["group"]: figures(row)[:2] for row in by_day.rows} == {
        "2026-03-02": (3, 5),
        "2026-03-03": (1, 1),
    }


def test_sla_compliance_lists_the_records_behind_it(clocks):
    records = metric("sla_compliance").records
    assert sorted(records(MARCH).values_list("number", flat=True)) == [
        "INC0000001",
        "INC0000002",
        "INC0000003",
    ]
    network = MARCH.with_(team=clocks["network"].pk)
    assert sorted(records(network).values_list("record_id", flat=True)) == [1, 3]
    # On 5 March only INC2's cycle 2 clock stopped.
    later = Filters(start=date(2026, 3, 5), end=date(2026, 3, 5))
    assert list(records(later).values_list("record_id", flat=True)) == [2]


def test_a_period_without_clocks_has_no_compliance(db):
    result = compute("sla_compliance", MARCH)
    assert figures(result.total) == (0, 0, None) and result.rows == []


def test_ola_compliance_is_per_assignment_group(clocks):
    result = compute("ola_compliance", MARCH)
    # Network: INC1 met (INC3's cancelled left out) → 1 of 1; Desktop: INC1 breached,
    # INC2 met → 1 of 2; together 2 of 3.
    assert figures(result.total) == (2, 3, pytest.approx(2 / 3))
    assert {row["group"]: figures(row) for row in result.rows} == {
        "Desktop": (1, 2, 0.5),
        "Network": (1, 1, 1.0),
    }
    # The team filter is the group whose OLA it is, not the record's team (INC1 is
    # Network's record, its Desktop clock counts for Desktop).
    desktop = MARCH.with_(team=clocks["desktop"].pk)
    assert figures(compute("ola_compliance", desktop).total) == (1, 2, 0.5)
    assert sorted(
        metric("ola_compliance").records(desktop).values_list("record_id", flat=True)
    ) == [
        1,
        2,
    ]


# --- hold time -----------------------------------------------------------------------------
def history(record, change, moment, group=None):
    return TicketHistory.objects.create(
        record_type=record.record_type,
        record_id=record.record_id,
        change=change,
        at=moment,
        group=group,
    )


def london(month, day, hour):
    return datetime(2026, month, day, hour, tzinfo=LONDON)


@pytest.fixture
def holds(db):
    """Two incidents over the early-May bank holiday weekend (Friday 1 May to Wednesday
    6 May 2026, British Summer Time), on office hours Monday–Friday 08:00–18:00 London with
    Monday 4 May a holiday."""
    a, b = TeamFactory(name="Network"), TeamFactory(name="Desktop")
    office = CalendarFactory(
        name="London office",
        holidays=[{"date": "2026-05-04", "name": "Early May bank holiday"}],
    )
    policy = PolicyFactory(name="Gold", response_calendar=office)
    inc10 = fact(10, team=b, calendar=office, opened=london(5, 1, 16))
    history(inc10, HistoryChange.OPENED, london(5, 1, 16), a)
    history(inc10, HistoryChange.ASSIGNMENT_GROUP, london(5, 5, 10), b)
    history(inc10, HistoryChange.SLA_PAUSED, london(5, 5, 11))  # the SLA engine's rows
    history(inc10, HistoryChange.SLA_RESUMED, london(5, 5, 12))
    history(inc10, HistoryChange.RESOLVED, london(5, 5, 15), b)
    history(inc10, HistoryChange.REOPENED, london(5, 6, 9), b)
    history(inc10, HistoryChange.RESOLVED, london(5, 6, 12), b)
    timer(inc10, OLA, MET, london(5, 5, 10), policy=policy, team=a, started=london(5, 1, 16),
          target=timedelta(hours=8))  # fmt: skip
    timer(inc10, OLA, BREACHED, london(5, 5, 15), policy=policy, team=b,
          started=london(5, 5, 10), target=timedelta(hours=3))  # fmt: skip
    timer(inc10, OLA, MET, london(5, 6, 12), policy=policy, team=b, cycle=2,
          started=london(5, 6, 9), target=timedelta(hours=3))  # fmt: skip
    # No calendar (24x7) and no OLA clock: a hold without a target.
    inc11 = fact(11, team=a, opened=london(5, 4, 9))
    history(inc11, HistoryChange.OPENED, london(5, 4, 9), a)
    history(inc11, HistoryChange.RESOLVED, london(5, 4, 11), a)
    # Still open: its hold has not ended and does not count.
    inc12 = fact(12, team=a, opened=london(5, 5, 9), is_open=True, state="in_progress")
    history(inc12, HistoryChange.OPENED, london(5, 5, 9), a)
    for record in (inc10, inc11, inc12):
        group_holds_write(record)
    return {"network": a, "desktop": b}


MAY = Filters(start=date(2026, 5, 1), end=date(2026, 5, 6))


def test_holds_are_the_windows_between_changes_of_group(holds):
    rows = list(
        GroupHold.objects.order_by("started_at").values_list(
            "team__name", "seconds", "business_seconds", "target_seconds", "within_target"
        )
    )
    assert rows == [
        # Network, Fri 16:00 → Tue 10:00: 4 days − 6 h = 90 h = 324,000 s. Business: Fri
        # 16–18 (2 h), the weekend and Monday's holiday none, Tue 08–10 (2 h) = 4 h; OLA 8 h.
        ("Network", 324_000.0, 14_400.0, 28_800.0, True),
        # INC11 on 24x7, Mon 09:00 → 11:00: 2 h both ways; no OLA clock, no target.
        ("Network", 7_200.0, 7_200.0, None, None),
        # Desktop, Tue 10:00 → resolved 15:00: 5 h, business less the hour paused = 4 h > 3 h.
        ("Desktop", 18_000.0, 14_400.0, 10_800.0, False),
        # Reopened to Desktop Wed 09:00 → resolved 12:00: 3 h, within 3 h (the bound counts).
        ("Desktop", 10_800.0, 10_800.0, 10_800.0, True),
    ]


def test_ola_hold_time_per_group_in_calendar_and_business_time(holds):
    calendar = compute("ola_hold_time", MAY)
    by_team = {row["group"]: row for row in calendar.rows}
    network, desktop = by_team["Network"], by_team["Desktop"]
    # Network 324,000 and 7,200: mean = median = 165,600; p90 = 7,200 + 0.9 × 316,800.
    assert (network["count"], network["mean"], network["median"]) == (2, 165_600, 165_600)
    assert network["p90"] == pytest.approx(292_320)
    # One hold with a target, within it.
    assert network["within_share"] == 1.0
    # Desktop 18,000 and 10,800: mean = median = 14,400; p90 = 10,800 + 0.9 × 7,200.
    assert (desktop["mean"], desktop["median"]) == (14_400, 14_400)
    assert desktop["p90"] == pytest.approx(17_280)
    assert desktop["within_share"] == 0.5
    assert desktop["team"] == holds["desktop"].pk

    business = compute("ola_hold_time", MAY.with_(business=True))
    by_team = {row["group"]: row for row in business.rows}
    # Network 14,400 and 7,200: mean 10,800, p90 7,200 + 0.9 × 7,200 = 13,680.
    assert (by_team["Network"]["mean"], by_team["Network"]["p90"]) == (
        10_800,
        pytest.approx(13_680),
    )
    # Desktop 14,400 and 10,800: mean 12,600, p90 10,800 + 0.9 × 3,600 = 14,040.
    assert (by_team["Desktop"]["mean"], by_team["Desktop"]["p90"]) == (
        12_600,
        pytest.approx(14_040),
    )
    # All four: 7,200, 10,800, 14,400, 14,400 → mean 11,700, median 12,600; 2 of 3 within.
    assert (business.total["count"], business.total["mean"], business.total["median"]) == (
        4,
        11_700,
        12_600,
    )
    assert business.total["within_share"] == pytest.approx(2 / 3)


def test_ola_hold_time_by_the_day_the_hold_ended_and_for_one_group(holds):
    by_day = compute("ola_hold_time", MAY.with_(group_by="day"))
    # Mon 4 May INC11's hold, Tue 5 May two (Network's and Desktop's), Wed 6 May one.
    assert {row["group"]: row["count"] for row in by_day.rows} == {
        "2026-05-04": 1,
        "2026-05-05": 2,
        "2026-05-06": 1,
    }
    desktop = MAY.with_(team=holds["desktop"].pk)
    assert compute("ola_hold_time", desktop).total["count"] == 2
    # INC10 is Desktop's record now; its Network hold still counts for Network.
    network = MAY.with_(team=holds["network"].pk)
    assert sorted(metric("ola_hold_time").records(network).values_list("record_id", flat=True)) == [
        10,
        11,
    ]


def test_the_fact_refresh_writes_a_records_holds(desk_agent, caller, team):
    other = TeamFactory(name="Network")
    incident = incidents.incident_open(
        actor=desk_agent, caller=caller, short_description="VPN drops", assignment_group=team
    )
    incident = incidents.incident_assign(
        actor=desk_agent, incident=incident, assignment_group=other
    )
    incidents.incident_transition(
        actor=desk_agent,
        incident=incident,
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes="New token",
    )
    record_fact_refresh(record_type="incident", record_id=incident.pk)
    holds = GroupHold.objects.order_by("started_at")
    assert [hold.team for hold in holds] == [team, other]
    # Refreshing again replaces them rather than adding.
    record_fact_refresh(record_type="incident", record_id=incident.pk)
    assert GroupHold.objects.count() == 2


def test_a_reopened_incident_counts_each_cycles_clocks(desk_agent, caller, team):
    """Through the SLA engine itself: resolved, reopened and resolved again."""
    PolicyFactory(name="Standard", response_calendar=CalendarFactory(always_open=True))
    incident = incidents.incident_open(
        actor=desk_agent, caller=caller, short_description="Mail bounces", assignment_group=team
    )
    incident = incidents.incident_acknowledge(actor=desk_agent, incident=incident)
    for action in ("resolve", "reopen", "resolve"):
        incident = incidents.incident_transition(
            actor=desk_agent,
            incident=incident,
            action=action,
            resolution_code=resolution_code() if action == "resolve" else None,
            resolution_notes="Fixed the MX record" if action == "resolve" else "",
            reason="Bounces again" if action == "reopen" else "",
        )
    record_fact_refresh(record_type="incident", record_id=incident.pk)
    today = Filters.default(days=1)
    result = compute("sla_compliance", today)
    # Response met once; resolution met in cycle 1 and again in cycle 2: 3 of 3.
    assert {row["group"]: figures(row) for row in result.rows} == {
        "Standard · Resolution": (2, 2, 1.0),
        "Standard · Response": (1, 1, 1.0),
    }
    assert list(metric("sla_compliance").records(today).values_list("number", flat=True)) == [
        incident.number
    ]
