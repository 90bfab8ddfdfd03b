"""SLA clocks on a record: start, pause, re-target, respond, resolve, reopen, OLA segments."""

from datetime import timedelta

import pytest

from opsdesk.core.models import OutboxEvent
from opsdesk.core.testing.factories import TeamFactory
from opsdesk.sla import services
from opsdesk.sla.models import TimerKind, TimerState
from opsdesk.sla.selectors import sla_breaching_soon, sla_remaining, sla_timers_for
from tests.sla.conftest import london

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def clocks(ticket):
    return {t.kind: t for t in sla_timers_for(record=ticket) if t.is_active}


def start(ticket, priority="P3", at=None, **kwargs):
    return services.sla_start(
        record=ticket,
        record_type="incident",
        attributes={"priority": priority},
        at=at or london(2025, 3, 7, 16),  # a Friday, 16:00
        **kwargs,
    )


def history(timer):
    return [e.kind for e in timer.events.all()]


def test_start_picks_the_first_matching_policy_and_sets_due_times(policies, ticket):
    timers = start(ticket)
    assert {t.kind: t.policy.name for t in timers} == {"response": "P3", "resolution": "P3"}
    c = clocks(ticket)
    # 2 h left on Friday, 2 h on Monday morning.
    assert c["response"].due_at == london(2025, 3, 10, 10)
    # 20 business hours: 2 on Friday, 10 on Monday, 8 on Tuesday.
    assert c["resolution"].due_at == london(2025, 3, 11, 16)
    assert history(c["response"]) == ["started"]


def test_no_matching_policy_starts_no_clock(policies, ticket):
    assert start(ticket, priority="P9") == []
    assert not sla_timers_for(record=ticket).exists()


def test_starting_twice_keeps_the_running_clocks(policies, ticket):
    first = start(ticket)
    again = start(ticket, at=london(2025, 3, 10, 9))
    assert [t.pk for t in again] == [t.pk for t in first]


def test_conditions_all_must_hold(office, ticket):
    from tests.sla.factories import PolicyFactory

    PolicyFactory(
        name="VIP finance", order=1, conditions={"caller_vip": True, "department": ["Finance"]}
    )
    fallback = PolicyFactory(name="Everyone", order=2)
    timers = services.sla_start(
        record=ticket,
        record_type="incident",
        attributes={"caller_vip": True, "department": "Sales"},
        at=london(2025, 3, 3, 9),
    )
    assert {t.policy for t in timers} == {fallback}


# --- the known failures of other service desks -------------------------------------------------
def test_deadline_does_not_silently_move_after_a_pause(policies, ticket):
    start(ticket, at=london(2025, 3, 10, 9))  # Monday 09:00
    due_before = clocks(ticket)["resolution"].due_at
    services.sla_update(record=ticket, state="on_hold", at=london(2025, 3, 10, 10))
    paused = clocks(ticket)["resolution"]
    assert paused.state == TimerState.PAUSED and paused.due_at is None
    services.sla_update(record=ticket, state="in_progress", at=london(2025, 3, 10, 12))
    resumed = clocks(ticket)["resolution"]
    # Exactly the two business hours of the pause are added, and the history says so.
    assert sla_remaining(timer=resumed, now=london(2025, 3, 10, 12)) == 19 * H
    assert resumed.due_at == due_before + 2 * H
    event = resumed.events.get(kind="resumed")
    assert event.data["paused_business_time"] == 2 * 3600
    assert event.due_at == resumed.due_at


def test_resumed_history_shows_the_due_time_before_the_pause(policies, ticket):
    start(ticket, at=london(2025, 3, 10, 9))
    due_before = clocks(ticket)["resolution"].due_at
    services.sla_update(record=ticket, state="on_hold", at=london(2025, 3, 10, 10))
    services.sla_update(record=ticket, state="in_progress", at=london(2025, 3, 10, 12))
    event = clocks(ticket)["resolution"].events.get(kind="resumed")
    assert event.data["due_before_pause"] == due_before.isoformat()


def test_pause_over_a_weekend_counts_against_the_calendar_not_the_wall_clock(policies, ticket):
    start(ticket, at=london(2025, 3, 7, 9))  # Friday 09:00
    due_before = clocks(ticket)["resolution"].due_at  # Monday 09:00 + 10 h → Tuesday 09:00
    services.sla_update(record=ticket, state="on_hold", at=london(2025, 3, 7, 17))
    services.sla_update(record=ticket, state="in_progress", at=london(2025, 3, 10, 9))
    resolution = clocks(ticket)["resolution"]
    # 64 wall-clock hours on hold, but only 2 business hours (Fri 17–18, Mon 08–09).
    assert resolution.due_at == due_before + 2 * H
    assert resolution.elapsed == 8 * H


def test_no_breach_while_paused(policies, ticket):
    start(ticket, priority="P1", at=london(2025, 3, 7, 9))
    services.sla_update(record=ticket, state="on_hold", at=london(2025, 3, 7, 9, 10))
    services.sla_check_due(now=london(2025, 3, 8, 9))  # a day later, still on hold
    assert not OutboxEvent.objects.filter(topic="sla.breached").exists()
    assert all(t.breached_at is None for t in clocks(ticket).values())
    services.sla_update(record=ticket, state="in_progress", at=london(2025, 3, 8, 9))
    assert clocks(ticket)["response"].due_at == london(2025, 3, 8, 9, 20)


def test_pause_time_is_not_lost_when_the_priority_changes(policies, ticket):
    start(ticket, at=london(2025, 3, 10, 9))
    services.sla_update(record=ticket, state="on_hold", at=london(2025, 3, 10, 11))  # 2 h used
    # Raised to P1 while on hold: the clock must stay paused and keep its 2 h.
    services.sla_update(record=ticket, attributes={"priority": "P1"}, at=london(2025, 3, 10, 12))
    resolution = clocks(ticket)["resolution"]
    assert resolution.state == TimerState.PAUSED
    assert resolution.elapsed == 2 * H
    assert resolution.policy.name == "P1"
    services.sla_update(record=ticket, state="in_progress", at=london(2025, 3, 10, 15))
    resolution = clocks(ticket)["resolution"]
    # P1: 4 h on 24x7, 2 h already used → due 2 h after resuming.
    assert resolution.due_at == london(2025, 3, 10, 17)
    assert history(resolution) == ["started", "paused", "retargeted", "resumed"]


def test_priority_change_keeps_elapsed_time_and_explains_the_new_deadline(policies, ticket):
    start(ticket, at=london(2025, 3, 10, 9))
    services.sla_update(record=ticket, attributes={"priority": "P1"}, at=london(2025, 3, 10, 10))
    resolution = clocks(ticket)["resolution"]
    assert resolution.elapsed == H and resolution.target == 4 * H
    assert resolution.due_at == london(2025, 3, 10, 13)
    event = resolution.events.get(kind="retargeted")
    assert event.data["policy_before"] == "P3" and event.data["policy_after"] == "P1"
    assert event.data["target_before"] == 20 * 3600 and event.data["target_after"] == 4 * 3600


def test_one_target_does_not_override_another(policies, ticket):
    start(ticket, at=london(2025, 3, 10, 9))
    services.sla_response_met(record=ticket, at=london(2025, 3, 10, 9, 30))
    services.sla_check_due(now=london(2025, 3, 10, 14))  # response target long past
    c = {t.kind: t for t in sla_timers_for(record=ticket)}
    assert c["response"].state == TimerState.MET
    assert c["resolution"].state == TimerState.RUNNING
    assert c["resolution"].due_at == london(2025, 3, 12, 9)  # 9 h Mon + 10 h Tue + 1 h Wed
    assert c["resolution"].target == 20 * H and c["response"].target == 4 * H


def test_first_response_recorded_when_reply_and_on_hold_happen_in_one_step(policies, ticket):
    start(ticket, at=london(2025, 3, 10, 9))
    services.sla_update(
        record=ticket, state="on_hold", responded=True, at=london(2025, 3, 10, 9, 45)
    )
    timers = {t.kind: t for t in sla_timers_for(record=ticket)}
    assert timers["response"].state == TimerState.MET
    assert timers["response"].stopped_at == london(2025, 3, 10, 9, 45)
    assert timers["resolution"].state == TimerState.PAUSED


# --- the rest of the lifecycle -----------------------------------------------------------------
def test_resolving_late_breaches_and_publishes_once(policies, ticket):
    start(ticket, priority="P1", at=london(2025, 3, 10, 9))
    services.sla_resolve(record=ticket, at=london(2025, 3, 10, 14))
    timers = {t.kind: t for t in sla_timers_for(record=ticket)}
    assert timers["resolution"].state == TimerState.BREACHED
    assert timers["resolution"].breached_at == london(2025, 3, 10, 13)
    assert timers["response"].state == TimerState.BREACHED
    assert OutboxEvent.objects.filter(topic="sla.breached").count() == 2
    services.sla_check_due(now=london(2025, 3, 10, 15))
    assert OutboxEvent.objects.filter(topic="sla.breached").count() == 2


def test_resolving_in_time_is_met(policies, ticket):
    start(ticket, priority="P1", at=london(2025, 3, 10, 9))
    services.sla_update(record=ticket, responded=True, at=london(2025, 3, 10, 9, 5))
    services.sla_resolve(record=ticket, at=london(2025, 3, 10, 13))  # exactly at the due time
    assert {t.state for t in sla_timers_for(record=ticket)} == {TimerState.MET}


def test_reopen_starts_a_new_cycle(policies, ticket):
    start(ticket, priority="P1", at=london(2025, 3, 10, 9))
    services.sla_resolve(record=ticket, at=london(2025, 3, 10, 10))
    timers = services.sla_reopen(record=ticket, at=london(2025, 3, 11, 9))
    assert [(t.kind, t.cycle, t.elapsed) for t in timers] == [("resolution", 2, timedelta(0))]
    assert timers[0].due_at == london(2025, 3, 11, 13)


def test_cancel_stops_every_clock(policies, ticket):
    start(ticket)
    services.sla_cancel(record=ticket, at=london(2025, 3, 10, 9))
    assert {t.state for t in sla_timers_for(record=ticket)} == {TimerState.CANCELLED}
    services.sla_check_due(now=london(2026, 1, 1))
    assert not OutboxEvent.objects.filter(topic__startswith="sla.").exists()


def test_ola_segments_show_each_groups_share(policies, ticket):
    desk, network = TeamFactory(name="Service Desk"), TeamFactory(name="Network")
    start(ticket, at=london(2025, 3, 10, 9))
    services.sla_assignment_changed(record=ticket, team_id=desk.pk, at=london(2025, 3, 10, 9))
    services.sla_update(record=ticket, state="on_hold", at=london(2025, 3, 10, 10))
    services.sla_update(record=ticket, state="in_progress", at=london(2025, 3, 10, 11))
    services.sla_assignment_changed(record=ticket, team_id=network.pk, at=london(2025, 3, 10, 12))
    services.sla_resolve(record=ticket, at=london(2025, 3, 11, 12))
    olas = [t for t in sla_timers_for(record=ticket) if t.kind == TimerKind.OLA]
    shares = {t.team.name: (t.elapsed, t.state) for t in olas}
    # The desk held it 3 h of which 1 h on hold; the network team 6 h Monday + 4 h Tuesday.
    assert shares == {"Service Desk": (2 * H, "met"), "Network": (10 * H, "met")}


def test_ola_for_a_group_starts_paused_when_the_record_is_on_hold(policies, ticket):
    start(ticket, at=london(2025, 3, 10, 9), state="on_hold")
    ola = services.sla_assignment_changed(
        record=ticket, team_id=TeamFactory().pk, at=london(2025, 3, 10, 9)
    )
    assert ola.state == TimerState.PAUSED


def test_breaching_soon_lists_records_with_the_nearest_deadline_first(policies):
    soon, later, quiet = TeamFactory(), TeamFactory(), TeamFactory()
    start(soon, priority="P1", at=london(2025, 3, 10, 9))
    start(later, priority="P3", at=london(2025, 3, 10, 9))
    services.sla_cancel(record=quiet, at=london(2025, 3, 10, 9))
    from opsdesk.core.models import Team

    rows = list(
        sla_breaching_soon(queryset=Team.objects.all(), within=H, now=london(2025, 3, 10, 9))
    )
    assert [(r.pk, r.sla_next_due) for r in rows] == [(soon.pk, london(2025, 3, 10, 9, 30))]


def test_the_worked_example_in_the_docs(db):
    from opsdesk.sla import demo

    demo.load(progress=lambda text: None)
    ticket = TeamFactory()
    timers = services.sla_start(
        record=ticket,
        record_type="incident",
        attributes={"priority": "P3"},
        at=london(2025, 5, 23, 17),
    )
    assert [t.due_at for t in timers] == [london(2025, 5, 27, 11), london(2025, 5, 29, 17)]
    services.sla_update(record=ticket, state="on_hold", responded=True, at=london(2025, 5, 27, 9))
    services.sla_update(record=ticket, state="in_progress", at=london(2025, 5, 28, 10))
    resolution = clocks(ticket)["resolution"]
    assert resolution.due_at == london(2025, 5, 30, 18)
    assert resolution.events.get(kind="resumed").data["paused_business_time"] == 11 * 3600
    services.sla_update(record=ticket, attributes={"priority": "P2"}, at=london(2025, 5, 28, 12))
    resolution = clocks(ticket)["resolution"]
    assert resolution.elapsed == 4 * H
    assert resolution.due_at == london(2025, 5, 28, 16)
