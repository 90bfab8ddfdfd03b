"""The SLA service API: the calls a record's own services make, inside their transaction.

Any record can carry SLA clocks: the timers point at it by content type and id. A domain
(incidents, service requests, …) calls, with keyword arguments only:

``sla_start(*, record, record_type, attributes, at, state=None, hold_reason=None)``
    Pick the first matching policy and start its response and resolution clocks.
    ``attributes`` holds what policies may match on: ``priority`` ("P1"…), ``service_id``,
    ``ci_criticality`` (1…4), ``caller_vip`` (bool), ``department``.
``sla_start_new(*, record, record_type, attributes, at, state=None, hold_reason=None,
team_id=None)``
    The same for a record created in this very transaction, plus the OLA clock of its first
    assignment group ``team_id``: exactly the clocks ``sla_start`` followed by
    ``sla_assignment_changed`` give it, without looking for clocks it cannot have yet.
``sla_update(*, record, at, attributes=None, state=None, hold_reason=None, responded=False,
reason="", state_note="")``
    Call on every change. New ``attributes`` re-target the clocks (elapsed business time is
    kept); entering a policy's pause state pauses them, leaving it resumes them. A record
    that gives a ``hold_reason`` (a plain value its domain registered in
    ``sla.hold_reasons``) pauses only the clocks whose policy lists that reason, so pass it
    again whenever it changes; ``responded=True`` records the first response before
    anything pauses.
``sla_response_met(*, record, at)``, ``sla_resolve(*, record, at)``,
``sla_reopen(*, record, at, attributes=None)`` (a new cycle), ``sla_cancel(*, record, at)``.
``sla_assignment_changed(*, record, team_id, at)``
    Closes the previous assignment group's OLA segment and opens one for ``team_id``.
``sla_check_due(*, now)``
    Run every minute by the worker: publishes ``sla.warning`` and ``sla.breached`` outbox
    events, each exactly once however many workers run it.

Every move is written to the timer's history with its time, reason and resulting due time.
"""

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction

from opsdesk.core.models.tickets import HistoryChange
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.tickets.history import history_add
from opsdesk.sla import clock
from opsdesk.sla.business_time import ZERO, business_time_between
from opsdesk.sla.hold_reasons import state_label
from opsdesk.sla.models import (
    BusinessCalendar,
    SlaPolicy,
    SlaTimer,
    TimerEvent,
    TimerEventKind,
    TimerKind,
    TimerState,
)
from opsdesk.sla.models.timers import ACTIVE_STATES
from opsdesk.sla.policies import policy_match


# --- helpers ----------------------------------------------------------------------------------
def _record_filter(record: models.Model) -> dict:
    return {
        "content_type": ContentType.objects.get_for_model(record),
        "object_id": str(record.pk),
    }


def _locked_active(record: models.Model) -> list[SlaTimer]:
    # Locked so the periodic check and this change never move the same clock at once.
    return list(
        SlaTimer.objects.select_for_update()
        .filter(**_record_filter(record), state__in=ACTIVE_STATES)
        .select_related("policy", "calendar")
        .order_by("id")
    )


def _event(timer: SlaTimer, kind: str, at: datetime, reason: str = "", **data) -> TimerEvent:
    """A history line with the clock as it stands now (unsaved)."""
    return TimerEvent(
        timer=timer,
        at=at,
        kind=kind,
        reason=reason[:200],
        elapsed=timer.elapsed,
        due_at=timer.due_at,
        data=clock_json(data),
    )


def _log(timer: SlaTimer, kind: str, at: datetime, reason: str = "", **data) -> TimerEvent:
    event = _event(timer, kind, at, reason, **data)
    event.save()
    return event


def clock_json(data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if hasattr(value, "total_seconds"):
            value = int(value.total_seconds())
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        out[key] = value
    return out


def _checkpoint(timer: SlaTimer, at: datetime) -> datetime:
    """Fold the business time counted so far into ``elapsed``; returns the effective instant."""
    at = max(at, timer.elapsed_at)
    timer.elapsed = clock.elapsed_at(timer, at)
    timer.elapsed_at = at
    return at


def _refresh(timer: SlaTimer) -> None:
    timer.due_at = clock.due_of(timer)
    timer.next_check_at = clock.next_check_of(timer)


def _payload(timer: SlaTimer, **extra) -> dict:
    return {
        "timer_id": timer.pk,
        "record_type": timer.record_type,
        "content_type": timer.content_type.natural_key(),
        "object_id": timer.object_id,
        "kind": timer.kind,
        "team_id": timer.team_id,
        "cycle": timer.cycle,
        "policy_id": timer.policy_id,
        "due_at": timer.due_at,
        **extra,
    }


def _timer(*, record, record_type, policy: SlaPolicy, kind, at, cycle, team_id=None) -> SlaTimer:
    """A running clock for ``kind`` under ``policy``, due time computed, not saved yet."""
    target, calendar_id = policy.target_for(kind)
    timer = SlaTimer(
        **_record_filter(record),
        record_type=record_type,
        cycle=cycle,
        kind=kind,
        team_id=team_id,
        policy=policy,
        calendar_id=calendar_id,
        target=target,
        state=TimerState.RUNNING,
        started_at=at,
        elapsed=ZERO,
        elapsed_at=at,
    )
    if calendar_id is not None:
        # The calendar came with the policy when policy_match loaded it.
        timer.calendar = policy.calendar_for(kind)
    _refresh(timer)
    return timer


def _new_timer(
    *, record, record_type, policy: SlaPolicy, kind, at, cycle, team_id=None, paused=False
):
    timer = _timer(
        record=record,
        record_type=record_type,
        policy=policy,
        kind=kind,
        at=at,
        cycle=cycle,
        team_id=team_id,
    )
    timer.save()
    _log(timer, TimerEventKind.STARTED, at, f"Policy {policy.name}", target=timer.target)
    if paused:
        _pause(timer, at, "Started in a paused state")
    return timer


def _pause(timer: SlaTimer, at: datetime, reason: str) -> None:
    due_before = timer.due_at
    at = _checkpoint(timer, at)
    if _overdue(timer) and timer.breached_at is None:
        _breach_once(timer, at)
    timer.state = TimerState.PAUSED
    timer.due_at = timer.next_check_at = None
    timer.save()
    _log(timer, TimerEventKind.PAUSED, at, reason, due_before=due_before)
    _history(timer, HistoryChange.SLA_PAUSED, at)


def _history(timer: SlaTimer, change: str, at: datetime) -> None:
    """The pause or resume as a typed history row, naming the clock (reporting's pauses)."""
    if str(timer.object_id).isdigit():
        history_add(
            record_type=timer.record_type,
            record_id=timer.object_id,
            change=change,
            at=at,
            new=timer.kind,
        )


def _resume(timer: SlaTimer, at: datetime, reason: str) -> None:
    at = max(at, timer.elapsed_at)
    paused = timer.events.filter(kind=TimerEventKind.PAUSED).order_by("-at", "-id").first()
    paused_business = ZERO
    if paused is not None:
        spec = clock.calendar_spec(timer.calendar, around=paused.at)
        paused_business = business_time_between(spec, paused.at, at)
    timer.elapsed_at = at
    timer.state = TimerState.RUNNING
    _refresh(timer)
    timer.save()
    _log(
        timer,
        TimerEventKind.RESUMED,
        at,
        reason,
        # The pause line keeps the due time it took away in its data; its own due_at is empty.
        due_before_pause=paused.data.get("due_before") if paused else None,
        paused_business_time=paused_business,
    )
    _history(timer, HistoryChange.SLA_RESUMED, at)


def _overdue(timer: SlaTimer) -> bool:
    # Met when stopped at the due instant itself; breached only after it.
    return timer.target is not None and timer.elapsed > timer.target


def _breach_once(timer: SlaTimer, at: datetime) -> bool:
    """Record and publish the breach unless someone already did; True when this call did."""
    breached_at = timer.due_at or at
    claimed = SlaTimer.objects.filter(pk=timer.pk, breached_at__isnull=True).update(
        breached_at=breached_at, next_check_at=None
    )
    if not claimed:
        return False
    timer.breached_at = breached_at
    timer.next_check_at = None
    _log(timer, TimerEventKind.BREACHED, breached_at, "Target used up")
    outbox_publish(topic="sla.breached", payload=_payload(timer, breached_at=breached_at))
    return True


def _stop(timer: SlaTimer, at: datetime, reason: str) -> None:
    """Stop the clock: met when the target was not used up, breached when it was."""
    at = _checkpoint(timer, at)
    overdue = _overdue(timer)
    if overdue and timer.breached_at is None:
        _breach_once(timer, at)
    breached = overdue or timer.breached_at is not None
    timer.state = TimerState.BREACHED if breached else TimerState.MET
    timer.stopped_at = at
    timer.next_check_at = None
    timer.save()
    _log(timer, TimerEventKind.BREACHED if breached else TimerEventKind.MET, at, reason)


def _retarget(timer: SlaTimer, policy: SlaPolicy, at: datetime, reason: str) -> None:
    target, calendar_id = policy.target_for(timer.kind)
    if calendar_id is None:
        calendar_id = timer.calendar_id  # an OLA keeps counting where it was
    if (policy.pk, target, calendar_id) == (timer.policy_id, timer.target, timer.calendar_id):
        return
    before = {"policy": timer.policy.name, "target": timer.target, "due": timer.due_at}
    if timer.state == TimerState.RUNNING:
        _checkpoint(timer, at)
    timer.policy, timer.target, timer.calendar_id = policy, target, calendar_id
    timer.calendar = BusinessCalendar.objects.get(pk=calendar_id)
    if timer.target is not None and timer.breached_at is None:
        # A longer target un-warns the thresholds that are no longer crossed.
        used = timer.elapsed / timer.target * 100
        timer.warned_threshold = max(
            [t for t in policy.warning_thresholds if t <= min(used, timer.warned_threshold)],
            default=0,
        )
    _refresh(timer)
    timer.save()
    _log(
        timer,
        TimerEventKind.RETARGETED,
        at,
        reason,
        policy_before=before["policy"],
        policy_after=policy.name,
        target_before=before["target"],
        target_after=target,
        due_before=before["due"],
    )


def _apply_state(
    timers: list[SlaTimer], state: str, at: datetime, hold_reason: str | None, note: str
) -> None:
    """Pause the clocks the policy stops for this state and reason, resume the others.

    Called again when only the reason changes, so a switch between a reason that pauses and
    one that does not moves each clock the right way.
    """
    for timer in timers:
        pausing = timer.policy.pauses_for(timer.kind, state=state, hold_reason=hold_reason)
        if pausing and timer.state == TimerState.RUNNING:
            _pause(timer, at, note or f"Record is {state_label(state)}")
        elif not pausing and timer.state == TimerState.PAUSED:
            _resume(timer, at, note or f"Record is {state_label(state)}")


def _next_cycle(record) -> int:
    last = SlaTimer.objects.filter(**_record_filter(record)).aggregate(c=models.Max("cycle"))["c"]
    return (last or 0) + 1


# --- the service API --------------------------------------------------------------------------
@transaction.atomic(savepoint=False)
def sla_start_new(
    *,
    record,
    record_type: str,
    attributes: dict,
    at: datetime,
    state: str | None = None,
    hold_reason: str | None = None,
    team_id: int | None = None,
) -> list[SlaTimer]:
    """``sla_start`` then ``sla_assignment_changed(team_id=...)`` for a record created in
    this transaction: the same clocks and history, written in two inserts.

    Such a record has no clocks yet, so none are looked up and the cycle is the first.
    """
    policy = policy_match(record_type=record_type, attributes=attributes)
    if policy is None:
        return []
    kinds = [
        kind
        for kind in (TimerKind.RESPONSE, TimerKind.RESOLUTION)
        if policy.target_for(kind)[0] is not None
    ]
    if kinds and team_id is not None and policy.resolution_calendar_id is not None:
        kinds.append(TimerKind.OLA)
    timers, events = [], []
    for kind in kinds:
        paused = state is not None and policy.pauses_for(kind, state=state, hold_reason=hold_reason)
        timer = _timer(
            record=record,
            record_type=record_type,
            policy=policy,
            kind=kind,
            at=at,
            cycle=1,
            team_id=team_id if kind == TimerKind.OLA else None,
        )
        timers.append(timer)
        events.append(
            _event(timer, TimerEventKind.STARTED, at, f"Policy {policy.name}", target=timer.target)
        )
        if paused:
            # What _pause does to a clock started this instant: nothing counted, nothing due.
            due_before = timer.due_at
            timer.state = TimerState.PAUSED
            timer.due_at = timer.next_check_at = None
            events.append(
                _event(
                    timer,
                    TimerEventKind.PAUSED,
                    at,
                    "Started in a paused state",
                    due_before=due_before,
                )
            )
    SlaTimer.objects.bulk_create(timers)
    TimerEvent.objects.bulk_create(events)  # each event's timer now has its id
    return timers


@transaction.atomic
def sla_start(
    *,
    record,
    record_type: str,
    attributes: dict,
    at: datetime,
    state: str | None = None,
    hold_reason: str | None = None,
) -> list[SlaTimer]:
    """Start the clocks of the first matching policy; a record already timed keeps its clocks."""
    active = _locked_active(record)
    if active:
        return active
    policy = policy_match(record_type=record_type, attributes=attributes)
    if policy is None:
        return []
    cycle = _next_cycle(record)
    return [
        _new_timer(
            record=record,
            record_type=record_type,
            policy=policy,
            kind=kind,
            at=at,
            cycle=cycle,
            paused=state is not None
            and policy.pauses_for(kind, state=state, hold_reason=hold_reason),
        )
        for kind in (TimerKind.RESPONSE, TimerKind.RESOLUTION)
        if policy.target_for(kind)[0] is not None
    ]


@transaction.atomic
def sla_update(
    *,
    record,
    at: datetime,
    attributes: dict | None = None,
    state: str | None = None,
    hold_reason: str | None = None,
    responded: bool = False,
    reason: str = "",
    state_note: str = "",
) -> list[SlaTimer]:
    """Apply one change of the record: response, new attributes, new state, in that order.

    ``hold_reason`` goes with ``state``; ``state_note`` is what the pause and resume lines of
    the history say (by default "Record is <state label>").
    """
    timers = _locked_active(record)
    if responded:
        for timer in timers:
            if timer.kind == TimerKind.RESPONSE:
                _stop(timer, at, reason or "First response")
        timers = [t for t in timers if t.is_active]
    if attributes is not None and timers:
        policy = policy_match(record_type=timers[0].record_type, attributes=attributes)
        if policy is not None:
            changed = ", ".join(f"{k} {v}" for k, v in sorted(attributes.items()))
            for timer in timers:
                _retarget(timer, policy, at, reason or f"Now {changed}")
    if state is not None:
        _apply_state(timers, state, at, hold_reason, state_note)
    return timers


@transaction.atomic
def sla_response_met(*, record, at: datetime) -> SlaTimer | None:
    for timer in _locked_active(record):
        if timer.kind == TimerKind.RESPONSE:
            _stop(timer, at, "First response")
            return timer
    return None


@transaction.atomic
def sla_resolve(*, record, at: datetime) -> list[SlaTimer]:
    """Stop every clock of the record; a response still open counts as answered now."""
    timers = _locked_active(record)
    for timer in timers:
        _stop(timer, at, "Resolved" if timer.kind != TimerKind.RESPONSE else "Resolved (response)")
    return timers


@transaction.atomic
def sla_reopen(*, record, at: datetime, attributes: dict | None = None) -> list[SlaTimer]:
    """Start a new cycle: a fresh resolution clock, and the last group's OLA segment again."""
    active = _locked_active(record)
    if active:
        return active
    previous = (
        SlaTimer.objects.filter(**_record_filter(record))
        .exclude(state=TimerState.CANCELLED)
        .select_related("policy")
        .order_by("-cycle", "-id")
    )
    last = previous.first()
    if last is None:
        return []
    policy = last.policy
    if attributes is not None:
        policy = policy_match(record_type=last.record_type, attributes=attributes) or policy
    if policy.resolution_target is None:
        return []
    common = {"record": record, "record_type": last.record_type, "policy": policy, "at": at}
    cycle = last.cycle + 1
    timers = [_new_timer(kind=TimerKind.RESOLUTION, cycle=cycle, **common)]
    last_ola = previous.filter(kind=TimerKind.OLA, cycle=last.cycle).first()
    if last_ola is not None and last_ola.team_id:
        timers.append(
            _new_timer(kind=TimerKind.OLA, cycle=cycle, team_id=last_ola.team_id, **common)
        )
    return timers


@transaction.atomic
def sla_cancel(*, record, at: datetime, reason: str = "Cancelled") -> list[SlaTimer]:
    timers = _locked_active(record)
    for timer in timers:
        _checkpoint(timer, at)
        timer.state = TimerState.CANCELLED
        timer.stopped_at = at
        timer.next_check_at = None
        timer.save()
        _log(timer, TimerEventKind.CANCELLED, at, reason)
    return timers


@transaction.atomic
def sla_assignment_changed(*, record, team_id: int | None, at: datetime) -> SlaTimer | None:
    """Close the previous group's OLA segment and open one for ``team_id`` (None: unassigned)."""
    timers = _locked_active(record)
    for timer in timers:
        if timer.kind == TimerKind.OLA:
            if timer.team_id == team_id:
                return timer
            _stop(timer, at, "Reassigned")
    lead = next((t for t in timers if t.kind == TimerKind.RESOLUTION), None)
    lead = lead or next((t for t in timers if t.kind == TimerKind.RESPONSE), None)
    if team_id is None or lead is None or lead.policy.resolution_calendar_id is None:
        return None
    return _new_timer(
        record=record,
        record_type=lead.record_type,
        policy=lead.policy,
        kind=TimerKind.OLA,
        at=at,
        cycle=lead.cycle,
        team_id=team_id,
        paused=lead.state == TimerState.PAUSED,
    )


# --- the periodic check -----------------------------------------------------------------------
def _check_timer(timer: SlaTimer, now: datetime) -> str | None:
    elapsed = clock.elapsed_at(timer, now)
    if timer.target is None:
        return None
    if elapsed > timer.target:
        return "breached" if _breach_once(timer, now) else None
    crossed = [
        t
        for t in timer.policy.warning_thresholds
        if t > timer.warned_threshold and elapsed >= timer.target * t / 100
    ]
    if not crossed:
        timer.next_check_at = clock.next_check_of(timer)
        SlaTimer.objects.filter(pk=timer.pk).update(next_check_at=timer.next_check_at)
        return None
    # Only the highest threshold passed is news; lower ones missed while the worker was away
    # would be stale the moment they arrived.
    threshold = max(crossed)
    timer.warned_threshold = threshold
    timer.next_check_at = clock.next_check_of(timer)
    claimed = SlaTimer.objects.filter(pk=timer.pk, warned_threshold__lt=threshold).update(
        warned_threshold=threshold, next_check_at=timer.next_check_at
    )
    if not claimed:
        return None
    at = clock.instant_of(timer, timer.target * threshold / 100)
    _log(timer, TimerEventKind.WARNING, max(at, timer.elapsed_at), f"{threshold} % used")
    outbox_publish(topic="sla.warning", payload=_payload(timer, threshold=threshold))
    return "warning"


def sla_check_due(*, now: datetime, limit: int = 500) -> dict[str, int]:
    """Publish the warnings and breaches that are due; returns how many of each."""
    counts = {"warning": 0, "breached": 0}
    with transaction.atomic():
        due = SlaTimer.objects.filter(state=TimerState.RUNNING, next_check_at__lte=now).order_by(
            "next_check_at", "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            # Another worker's timers are skipped, not waited for; the conditional updates in
            # _check_timer still guard against publishing twice.
            due = due.select_for_update(skip_locked=True, of=("self",))
        for timer in due.select_related("policy", "calendar", "content_type")[:limit]:
            outcome = _check_timer(timer, now)
            if outcome:
                counts[outcome] += 1
    return counts
