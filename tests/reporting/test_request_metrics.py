"""Request fulfilment's metrics against figures worked out by hand: time to fulfil (items and
requests), approval latency per stage, and the share of requests no person had to work on.

One week of orders, driven through the request services with the clock set by hand:

| order (line)        | ordered   | what happens                                   | delivered |
|---------------------|-----------|------------------------------------------------|-----------|
| Mouse A             | 2 Mar 09  | fulfilled by the desk 2 Mar 13                 | 4 h       |
| Mouse B             | 2 Mar 09  | fulfilled 2 Mar 11, "not delivered" 2 Mar 15,  | 24 h      |
|                     |           | fulfilled again 3 Mar 09                       |           |
| Mouse (open)        | 2 Mar 09  | never fulfilled                                | —         |
| Mouse (cancelled)   | 2 Mar 09  | cancelled 3 Mar 10:05                          | —         |
| Laptop              | 2 Mar 10  | manager approves 3 Mar 10, its task is done    | 48 h      |
|                     |           | 4 Mar 10, closed by the requester 5 Mar 12     |           |
| Laptop (rejected)   | 2 Mar 10  | manager rejects 2 Mar 14                       | —         |
| Password reset +    | 3 Mar 10  | reset done by automation, fulfilled 3 Mar 10:05| 5 min     |
|   Mouse C (1 order) |           | Mouse C fulfilled by the desk 3 Mar 16         | 6 h       |
| Monitor 1           | 4 Mar 09  | manager approves 4 Mar 11, budget holder 5 Mar 11 | —      |
| Password reset 2    | 4 Mar 10  | done by automation, fulfilled 4 Mar 10:05      | 5 min     |
| Broken reset        | 4 Mar 11  | its automation fails; the desk does it 4 Mar 12| 1 h       |
| Monitor 2           | 5 Mar 09  | its manager has not decided                    | —         |
| Mouse (next week)   | 9 Mar 09  | fulfilled 10 Mar 09                            | outside   |
"""

from datetime import date, timedelta

import pytest

from opsdesk.approvals.models import ApprovalScheme, ApprovalStage
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.task import tasks_of
from opsdesk.reporting.metrics import Filters, compute, metric
from opsdesk.service_requests import services
from opsdesk.service_requests.testing import (
    CatalogItemFactory,
    PlanStepFactory,
    decide,
    manager_approval,
)
from tests.reporting.record_metrics_support import Clock, at, facts_current

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, at(2, 9))


WEEK = Filters(start=date(2026, 3, 2), end=date(2026, 3, 8))
HOUR = 3600


@pytest.fixture
def week(clock, caller):
    desk = TeamFactory(name="Desk")
    agent = UserFactory(roles=["agent"])
    desk.members.add(agent)
    caller.manager = UserFactory(username="jordan")
    caller.save()
    budget = UserFactory(username="budget-holder")
    two_stages = ApprovalScheme.objects.create(name="Manager, then budget")
    ApprovalStage.objects.create(
        scheme=two_stages, position=1, name="Line manager", rule="any", from_manager=True
    )
    ApprovalStage.objects.create(
        scheme=two_stages, position=2, name="Budget holder", rule="any"
    ).from_users.set([budget])

    mouse = CatalogItemFactory(name="Mouse", slug="mouse", owner_team=desk)
    laptop = CatalogItemFactory(
        name="Laptop",
        slug="laptop",
        owner_team=desk,
        needs_approval=True,
        approval_scheme=manager_approval(),
    )
    PlanStepFactory(item=laptop, name="Image and hand over", team=desk)
    monitor = CatalogItemFactory(
        name="Monitor",
        slug="monitor",
        owner_team=desk,
        needs_approval=True,
        approval_scheme=two_stages,
    )
    reset = CatalogItemFactory(name="Password reset", slug="reset", owner_team=desk, standard=True)
    PlanStepFactory(item=reset, name="Reset", team=desk, action="add_to_team", target_team=desk)
    broken = CatalogItemFactory(name="Broken reset", slug="broken", owner_team=desk, standard=True)
    # Its automation names no team to add the person to: it fails, the desk does it by hand.
    PlanStepFactory(item=broken, name="Reset by hand", team=desk, action="add_to_team")

    def order(*items):
        return services.request_submit(actor=caller, lines=[(i, {}, 1) for i in items])

    def item_of(request, catalog_item=None):
        items = request.items.all()
        return items.get(catalog_item=catalog_item) if catalog_item else items.get()

    def move(item, action, actor=agent, **kwargs):
        return services.item_transition(actor=actor, item=item, action=action, **kwargs)

    def task_done(item):
        tickets.ticket_transition(
            actor=agent, record=tasks_of(item).get(), action="complete", reason="Done."
        )
        outbox_deliver_due()

    clock.at(at(2, 9))
    mouse_a, mouse_b, mouse_open, mouse_cancelled = (order(mouse) for _ in range(4))
    clock.at(at(2, 10))
    laptop_ok, laptop_no = order(laptop), order(laptop)
    clock.at(at(2, 11))
    move(item_of(mouse_b), "fulfil")
    clock.at(at(2, 13))
    move(item_of(mouse_a), "fulfil")
    clock.at(at(2, 14))
    decide(item_of(laptop_no), "reject", "Not this year")
    clock.at(at(2, 15))
    move(item_of(mouse_b), "reopen", actor=caller, reason="It was a trackball")
    clock.at(at(3, 9))
    move(item_of(mouse_b), "fulfil")
    clock.at(at(3, 10))
    decide(item_of(laptop_ok), "approve")
    reset_and_mouse = order(reset, mouse)
    clock.at(at(3, 10, 5))
    outbox_deliver_due()  # the automated task's completion fulfils the reset
    move(item_of(mouse_cancelled), "cancel", actor=caller, reason="Found one")
    clock.at(at(3, 16))
    move(item_of(reset_and_mouse, mouse), "fulfil")
    clock.at(at(4, 9))
    monitor_1 = order(monitor)
    clock.at(at(4, 10))
    task_done(item_of(laptop_ok))
    reset_2 = order(reset)
    clock.at(at(4, 10, 5))
    outbox_deliver_due()
    clock.at(at(4, 11))
    decide(item_of(monitor_1), "approve")
    broken_reset = order(broken)
    clock.at(at(4, 12))
    task_done(item_of(broken_reset))
    clock.at(at(5, 9))
    order(monitor)
    clock.at(at(5, 11))
    decide(item_of(monitor_1), "approve")
    clock.at(at(5, 12))
    move(item_of(laptop_ok), "close", actor=caller)
    clock.at(at(9, 9))
    next_week = order(mouse)
    clock.at(at(10, 9))
    move(item_of(next_week), "fulfil")
    outbox_deliver_due()
    facts_current()
    return {
        "mouse_a": mouse_a,
        "mouse_b": mouse_b,
        "mouse_open": mouse_open,
        "laptop_ok": laptop_ok,
        "reset_and_mouse": reset_and_mouse,
        "reset_2": reset_2,
        "broken": broken_reset,
    }


def test_time_to_fulfil_a_requested_item(week):
    result = compute("time_to_fulfil", WEEK)
    # Items delivered in the week, in seconds: resets 300 and 300, broken reset 3,600,
    # Mouse A 14,400, Mouse C 21,600, Mouse B 86,400 (to its last delivery), Laptop 172,800.
    # Sum = 299,400 -> mean = 299,400 / 7 = 42,771.43; median = the 4th, 14,400;
    # p90: rank 0.9 × 6 = 5.4 -> 86,400 + 0.4 × (172,800 − 86,400) = 120,960.
    assert result.total == {
        "count": 7,
        "mean": pytest.approx(299_400 / 7),
        "median": pytest.approx(14_400),
        "p90": pytest.approx(120_960),
    }
    by_day = compute("time_to_fulfil", WEEK.with_(group_by="day"))
    # 2 Mar: Mouse A; 3 Mar: Mouse B, reset, Mouse C; 4 Mar: Laptop, reset 2, broken reset.
    assert [(r["group"], r["count"]) for r in by_day.rows] == [
        ("2026-03-02", 1),
        ("2026-03-03", 3),
        ("2026-03-04", 3),
    ]
    behind = metric("time_to_fulfil").records(WEEK)
    assert behind.count() == 7 and set(behind.values_list("record_type", flat=True)) == {
        "request_item"
    }


def test_time_to_fulfil_a_request_counts_to_its_last_item(week):
    result = compute("time_to_fulfil", WEEK.with_(record_type="service_request"))
    # Requests: reset 2 300, broken 3,600, Mouse A 14,400, reset + Mouse C 21,600 (delivered
    # when Mouse C was), Mouse B 86,400, Laptop 172,800. Sum = 299,100 -> mean 49,850;
    # median = (14,400 + 21,600) / 2 = 18,000; p90: rank 0.9 × 5 = 4.5 ->
    # 86,400 + 0.5 × 86,400 = 129,600.
    assert result.total == {
        "count": 6,
        "mean": pytest.approx(49_850),
        "median": pytest.approx(18_000),
        "p90": pytest.approx(129_600),
    }
    # Incidents are not fulfilled: the metric has nothing for them.
    assert compute("time_to_fulfil", WEEK.with_(record_type="incident")).total["count"] == 0


def test_approval_latency_per_stage(week):
    result = compute("approval_latency", WEEK)
    # Stages decided in the week: Laptop's manager 2 Mar 10 -> 3 Mar 10 = 86,400; the
    # rejected Laptop's manager 2 Mar 10 -> 14 = 14,400; Monitor 1's manager 4 Mar 09 -> 11
    # = 7,200; its budget holder 4 Mar 11 -> 5 Mar 11 = 86,400. Sorted 7,200, 14,400, 86,400,
    # 86,400: mean = 194,400 / 4 = 48,600; median = (14,400 + 86,400) / 2 = 50,400;
    # p90: rank 2.7 -> 86,400. Monitor 2's manager is still waiting.
    assert result.total == {
        "count": 4,
        "mean": pytest.approx(48_600),
        "median": pytest.approx(50_400),
        "p90": pytest.approx(86_400),
        "waiting": 1,
    }
    by_stage = compute("approval_latency", WEEK.with_(group_by="stage"))
    # Line manager: (86,400 + 14,400 + 7,200) / 3 = 36,000, one waiting.
    assert [
        (r["label"], r["count"], pytest.approx(r["mean"]), r["waiting"]) for r in by_stage.rows
    ] == [("Budget holder", 1, 86_400, 0), ("Line manager", 3, 36_000, 1)]
    manager = compute("approval_latency", WEEK.with_(stage="Line manager"))
    assert manager.total["count"] == 3 and manager.total["mean"] == pytest.approx(36_000)
    # The requested items behind the number: Laptop, rejected Laptop and Monitor 1; behind
    # the budget holder's row, Monitor 1 alone.
    behind = metric("approval_latency").records(WEEK)
    assert behind.count() == 3
    assert set(behind.values_list("record_type", flat=True)) == {"request_item"}
    budget = metric("approval_latency").records(by_stage.filters.narrow("Budget holder"))
    assert list(budget.values_list("short_description", flat=True)) == ["Monitor"]


def test_the_share_of_requests_no_person_worked_on(week):
    result = compute("automated_share", WEEK)
    # Requests delivered in the week: Mouse A, Mouse B, Laptop (a person did each), reset +
    # Mouse C (Mouse C by hand), broken reset (its automation failed) and reset 2 (all by
    # automation): 1 of 6.
    assert result.total == {"numerator": 1, "denominator": 6, "value": pytest.approx(1 / 6)}
    behind = metric("automated_share").records(WEEK)
    assert list(behind.values_list("number", flat=True)) == [week["reset_2"].number]
    by_day = compute("automated_share", WEEK.with_(group_by="day"))
    assert [(r["group"], r["numerator"], r["denominator"]) for r in by_day.rows] == [
        ("2026-03-02", 0, 1),
        ("2026-03-03", 0, 2),
        ("2026-03-04", 1, 3),
    ]


def test_time_to_fulfil_in_business_time_over_a_weekend_a_holiday_and_the_clocks_going_forward(
    clock, caller, settings
):
    """Office hours 08:00-18:00 Monday to Friday in London; Monday 30 March 2026 a holiday;
    British Summer Time starts on Sunday 29 March (Tuesday's 08:00 is 07:00 UTC)."""
    from tests.sla.factories import CalendarFactory, PolicyFactory

    settings.OPSDESK_TIME_ZONE = "Europe/London"
    office = CalendarFactory(
        name="London office", holidays=[{"date": "2026-03-30", "name": "Office closed"}]
    )
    PolicyFactory(
        name="Mice in a day",
        record_type="request_item",
        conditions={"catalog_item": ["desk-mouse"]},
        response_target=None,
        response_calendar=office,
        resolution_target=timedelta(hours=10),
        pause_states=["info_needed"],
    )
    desk = TeamFactory(name="Desk")
    agent = UserFactory(roles=["agent"])
    desk.members.add(agent)
    mouse = CatalogItemFactory(name="Desk mouse", slug="desk-mouse", owner_team=desk)
    clock.at(at(27, 16))  # Friday 16:00 GMT
    item = services.request_submit(actor=caller, lines=[(mouse, {}, 1)]).items.get()
    clock.at(at(27, 17))
    services.item_transition(actor=agent, item=item, action="ask", reason="Left or right hand?")
    clock.at(at(31, 9))  # Tuesday 10:00 BST
    services.item_add_information(actor=caller, item=item, body="Left, please")
    clock.at(at(31, 11))  # Tuesday 12:00 BST
    services.item_transition(actor=agent, item=item, action="fulfil")
    facts_current()

    week = Filters(start=date(2026, 3, 30), end=date(2026, 4, 5))
    calendar = compute("time_to_fulfil", week)
    # Friday 16:00 UTC -> Tuesday 11:00 UTC = 4 days − 5 h = 91 h = 327,600 s.
    assert calendar.total["mean"] == pytest.approx(327_600)
    business = compute("time_to_fulfil", week.with_(business=True))
    # Open: Friday 16-18 (2 h) + Tuesday 08-12 BST (4 h) = 6 h; the weekend and the holiday
    # count nothing. Waiting for the caller: Friday 17-18 (1 h) + Tuesday 08-10 (2 h) = 3 h.
    # 6 h − 3 h = 3 h = 10,800 s.
    assert business.total == {
        "count": 1,
        "mean": pytest.approx(10_800),
        "median": pytest.approx(10_800),
        "p90": pytest.approx(10_800),
    }


RECORD_METRICS = (
    "time_to_root_cause",
    "incidents_per_problem",
    "known_error_resolutions",
    "time_to_fulfil",
    "approval_latency",
    "automated_share",
    "time_to_grant",
    "time_to_revoke",
    "review_completion",
)


@pytest.mark.parametrize("key", RECORD_METRICS)
def test_each_metric_is_two_queries_whatever_the_rows(week, key, django_assert_max_num_queries):
    # The total and the groups: one aggregate query each, however many rows there are.
    compute(key, WEEK.with_(group_by="week"))  # warms the content-type cache
    with django_assert_max_num_queries(2):
        result = metric(key).compute(WEEK.with_(group_by="week"))
    assert result.total is not None
