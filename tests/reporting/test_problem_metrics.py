"""Problem management's metrics against figures worked out by hand: time to root cause,
incidents per problem, and incidents resolved by a known error (with the rule that decides
it: linked, and the root cause known, when the incident was first resolved)."""

from datetime import date

import pytest

from opsdesk.core.testing.factories import TeamFactory
from opsdesk.incidents import services as incidents
from opsdesk.incidents.testing import resolution_code
from opsdesk.problems import services as problems
from opsdesk.reporting.metrics import Filters, compute, metric
from opsdesk.reporting.models import RecordFact
from opsdesk.reporting.services import record_fact_refresh
from tests.reporting.record_metrics_support import Clock, at, facts_current

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, at(2, 9))


# The week of Monday 2 March 2026 (UTC is the organisation's zone here).
WEEK = Filters(start=date(2026, 3, 2), end=date(2026, 3, 8))


def raise_problem(agent, team, title, *, incidents_=()):
    return problems.problem_create(
        actor=agent, short_description=title, assignment_group=team, incidents=incidents_
    )


def analyse(agent, problem):
    for action in ("assess", "analyse"):
        problem = problems.problem_transition(actor=agent, problem=problem, action=action)
    return problems.problem_update(
        actor=agent,
        problem=problem,
        symptoms="The VPN drops every hour",
        root_cause="The concentrator's lease timer",
        workaround="Reconnect, or use the 6.2 client",
    )


def known_error(agent, problem):
    return problems.problem_transition(
        actor=agent, problem=analyse(agent, problem), action="known_error"
    )


def incident(agent, caller, team, title="VPN drops"):
    return incidents.incident_open(
        actor=agent, caller=caller, short_description=title, assignment_group=team
    )


def resolve(agent, record):
    return incidents.incident_transition(
        actor=agent,
        incident=record,
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes="Reconnected",
    )


def fact(record) -> RecordFact:
    return RecordFact.objects.get(record_type="incident", record_id=record.pk)


def test_time_to_root_cause_counts_problems_whose_cause_was_found_in_the_period(
    clock, desk_agent, team
):
    other = TeamFactory(name="Network")
    other.members.add(desk_agent)
    clock.at(at(20, month=2))
    older = raise_problem(desk_agent, team, "Payslips time out")  # opened before the period
    clock.at(at(2, 9))
    first = raise_problem(desk_agent, team, "VPN drops hourly")
    clock.at(at(2, 10))
    second = raise_problem(desk_agent, other, "Wi-Fi roams badly")
    clock.at(at(3, 9))
    raise_problem(desk_agent, team, "Printer queue stalls")  # still being analysed
    clock.at(at(6, 9))
    late = raise_problem(desk_agent, team, "Mail rules vanish")

    clock.at(at(3, 15))
    known_error(desk_agent, first)  # 2 Mar 09:00 -> 3 Mar 15:00 = 30 h = 108,000 s
    clock.at(at(4, 9))
    known_error(desk_agent, older)  # 20 Feb 09:00 -> 4 Mar 09:00 = 12 d = 1,036,800 s
    clock.at(at(5, 10))
    known_error(desk_agent, second)  # 2 Mar 10:00 -> 5 Mar 10:00 = 72 h = 259,200 s
    clock.at(at(10, 9))
    known_error(desk_agent, late)  # found on 10 Mar: outside the week
    facts_current()

    result = compute("time_to_root_cause", WEEK)
    # Sorted: 108,000, 259,200, 1,036,800. Mean = 1,404,000 / 3 = 468,000.
    # Median = the middle one, 259,200. p90: rank 0.9 × 2 = 1.8 ->
    # 259,200 + 0.8 × (1,036,800 − 259,200) = 259,200 + 622,080 = 881,280.
    assert result.total == {
        "count": 3,
        "mean": pytest.approx(468_000),
        "median": pytest.approx(259_200),
        "p90": pytest.approx(881_280),
    }
    # By the day the cause was found: one each on 3, 4 and 5 March.
    by_day = compute("time_to_root_cause", WEEK.with_(group_by="day"))
    assert [(row["label"], row["count"], row["mean"]) for row in by_day.rows] == [
        ("3 Mar 2026", 1, pytest.approx(108_000)),
        ("4 Mar 2026", 1, pytest.approx(1_036_800)),
        ("5 Mar 2026", 1, pytest.approx(259_200)),
    ]
    # The Network team's one problem: 72 h.
    network = compute("time_to_root_cause", WEEK.with_(team=other.pk))
    assert network.total["count"] == 1 and network.total["mean"] == pytest.approx(259_200)
    behind = metric("time_to_root_cause").records(WEEK)
    assert sorted(behind.values_list("number", flat=True)) == sorted(
        [first.number, second.number, older.number]
    )


def test_incidents_per_problem_over_the_problems_opened_in_the_period(
    clock, desk_agent, caller, team
):
    calls = [incident(desk_agent, caller, team, f"Call {n}") for n in range(7)]
    clock.at(at(20, month=2))
    raise_problem(desk_agent, team, "Opened before", incidents_=calls[:5])  # not counted
    clock.at(at(2, 10))
    vpn = raise_problem(desk_agent, team, "VPN", incidents_=calls[:3])
    clock.at(at(3, 10))
    raise_problem(desk_agent, team, "Wi-Fi", incidents_=calls[3:4])
    clock.at(at(4, 10))
    raise_problem(desk_agent, team, "Printers")  # nothing linked: counts as 0
    clock.at(at(5, 10))
    mail = raise_problem(desk_agent, team, "Mail", incidents_=calls[4:5])
    problems.problem_link_incidents(actor=desk_agent, problem=mail, incidents=calls[5:7])
    # Linking one already linked again adds nothing.
    problems.problem_link_incidents(actor=desk_agent, problem=vpn, incidents=calls[:1])
    facts_current()

    result = compute("incidents_per_problem", WEEK)
    # Four problems opened in the week with 3, 1, 0 and 3 incidents: 7 links, 7 / 4 = 1.75.
    assert result.total == {"count": 4, "links": 7, "mean": pytest.approx(1.75)}
    by_day = compute("incidents_per_problem", WEEK.with_(group_by="day"))
    assert [(r["group"], r["count"], r["links"]) for r in by_day.rows] == [
        ("2026-03-02", 1, 3),
        ("2026-03-03", 1, 1),
        ("2026-03-04", 1, 0),
        ("2026-03-05", 1, 3),
    ]
    assert metric("incidents_per_problem").records(WEEK).count() == 4


def test_incidents_resolved_by_a_known_error(clock, desk_agent, caller, team):
    """Which incidents were resolved by a known error, one case a row:

    | incident | linked to | linked   | resolved | root cause found | by known error |
    |----------|-----------|----------|----------|------------------|----------------|
    | before   | VPN       | 2 Mar 12 | 3 Mar 11 | 3 Mar 15         | no (too early) |
    | after    | VPN       | 2 Mar 12 | 3 Mar 16 | 3 Mar 15         | yes            |
    | applied  | VPN       | 4 Mar 10 | 4 Mar 10 | 3 Mar 15         | yes (applied)  |
    | late     | VPN       | 4 Mar 12 | 3 Mar 17 | 3 Mar 15         | no (linked after) |
    | unknown  | Printers  | 2 Mar 12 | 4 Mar 11 | never            | no             |
    | withdrawn| Wi-Fi     | 2 Mar 12 | 5 Mar 11 | 3 Mar 15, cancelled 4 Mar 9 | no      |
    | alone    | —         | —        | 5 Mar 12 | —                | no             |
    """
    before, after, applied, late, unknown, withdrawn, alone = (
        incident(desk_agent, caller, team, name)
        for name in ("before", "after", "applied", "late", "unknown", "withdrawn", "alone")
    )
    clock.at(at(2, 12))
    vpn = raise_problem(desk_agent, team, "VPN drops hourly", incidents_=[before, after])
    raise_problem(desk_agent, team, "Printers stall", incidents_=[unknown])
    wifi = raise_problem(desk_agent, team, "Wi-Fi roams", incidents_=[withdrawn])
    clock.at(at(3, 11))
    resolve(desk_agent, before)
    clock.at(at(3, 15))
    vpn = known_error(desk_agent, vpn)
    wifi = known_error(desk_agent, wifi)
    clock.at(at(3, 16))
    resolve(desk_agent, after)
    clock.at(at(3, 17))
    resolve(desk_agent, late)
    clock.at(at(4, 9))
    problems.problem_transition(actor=desk_agent, problem=wifi, action="cancel", reason="Dupe")
    clock.at(at(4, 10))
    problems.known_error_apply(actor=desk_agent, problem=vpn, incident=applied)
    clock.at(at(4, 11))
    resolve(desk_agent, unknown)
    clock.at(at(4, 12))
    problems.problem_link_incidents(actor=desk_agent, problem=vpn, incidents=[late])
    clock.at(at(5, 11))
    resolve(desk_agent, withdrawn)
    clock.at(at(5, 12))
    resolve(desk_agent, alone)
    facts_current()

    by_known_error = {
        name: fact(record).resolved_by_known_error
        for name, record in (
            ("before", before),
            ("after", after),
            ("applied", applied),
            ("late", late),
            ("unknown", unknown),
            ("withdrawn", withdrawn),
            ("alone", alone),
        )
    }
    assert by_known_error == {
        "before": False,
        "after": True,
        "applied": True,
        "late": False,
        "unknown": False,
        "withdrawn": False,
        "alone": False,
    }
    result = compute("known_error_resolutions", WEEK)
    # 2 of the 7 incidents resolved in the week: 2 / 7.
    assert result.total == {"numerator": 2, "denominator": 7, "value": pytest.approx(2 / 7)}
    by_day = compute("known_error_resolutions", WEEK.with_(group_by="day"))
    # 3 Mar: before, after, late -> 1 of 3; 4 Mar: applied, unknown -> 1 of 2; 5 Mar: 0 of 2.
    assert [(r["group"], r["numerator"], r["denominator"]) for r in by_day.rows] == [
        ("2026-03-03", 1, 3),
        ("2026-03-04", 1, 2),
        ("2026-03-05", 0, 2),
    ]
    behind = metric("known_error_resolutions").records(WEEK)
    assert sorted(behind.values_list("number", flat=True)) == sorted([after.number, applied.number])


def test_a_problem_becoming_a_known_error_later_leaves_resolved_incidents_as_they_were(
    clock, desk_agent, caller, team
):
    early = incident(desk_agent, caller, team, "early")
    later = incident(desk_agent, caller, team, "later")
    clock.at(at(2, 10))
    problem = raise_problem(desk_agent, team, "VPN drops", incidents_=[early, later])
    clock.at(at(2, 11))
    resolve(desk_agent, early)
    record_fact_refresh(record_type="incident", record_id=early.pk)
    assert fact(early).resolved_by_known_error is False
    clock.at(at(3, 9))
    known_error(desk_agent, problem)
    # Refreshed after the known error (the early incident closes, say): still not by it.
    record_fact_refresh(record_type="incident", record_id=early.pk)
    assert fact(early).resolved_by_known_error is False
    clock.at(at(3, 10))
    resolve(desk_agent, later)
    record_fact_refresh(record_type="incident", record_id=later.pk)
    assert fact(later).resolved_by_known_error is True
    assert compute("known_error_resolutions", WEEK).total["numerator"] == 1
