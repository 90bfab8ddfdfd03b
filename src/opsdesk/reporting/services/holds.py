"""The group holds of a record, rewritten with its fact row (the OLA hold time reads them)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from opsdesk.core.models import TicketHistory
from opsdesk.core.tickets.registry import ticket_type
from opsdesk.reporting.facts import _business, pause_windows, spec_for
from opsdesk.reporting.holds import hold_windows
from opsdesk.reporting.models import GroupHold, RecordFact
from opsdesk.reporting.periods import local_day
from opsdesk.sla.models import SlaTimer, TimerKind


def _ola_targets(fact: RecordFact) -> list[tuple]:
    """(team id, started at, target) of the record's OLA clocks, oldest first."""
    model = ticket_type(fact.record_type).model
    content_type = ContentType.objects.get_for_model(model)
    return list(
        SlaTimer.objects.filter(
            content_type=content_type, object_id=str(fact.record_id), kind=TimerKind.OLA
        )
        .order_by("started_at", "id")
        .values_list("team_id", "started_at", "target")
    )


def _target_seconds(targets: list[tuple], team_id: int, started_at) -> float | None:
    """The target of the group's OLA clock that started with the hold (the latest one
    started by then, else the group's first)."""
    mine = [(start, target) for team, start, target in targets if team == team_id]
    if not mine:
        return None
    started = [target for start, target in mine if start <= started_at]
    target = started[-1] if started else mine[0][1]
    return target.total_seconds() if target is not None else None


def group_holds_write(fact: RecordFact) -> int:
    """Replace the record's group holds from its history; returns how many it has."""
    rows = list(
        TicketHistory.objects.filter(
            record_type=fact.record_type, record_id=fact.record_id
        ).order_by("at", "id")
    )
    finished_at = None if fact.is_open else (fact.closed_at or fact.resolved_at)
    windows = hold_windows(rows, finished_at=finished_at)
    GroupHold.objects.filter(fact=fact).delete()
    if not windows:
        return 0
    targets = _ola_targets(fact)
    pauses = pause_windows(rows, until=windows[-1].ended_at)
    holds = []
    for window in windows:
        spec = spec_for(fact.calendar, window.started_at)
        business = _business(spec, window.started_at, window.ended_at, pauses) or 0.0
        target = _target_seconds(targets, window.team_id, window.started_at)
        holds.append(
            GroupHold(
                fact=fact,
                team_id=window.team_id,
                started_at=window.started_at,
                ended_at=window.ended_at,
                ended_on=local_day(window.ended_at),
                seconds=(window.ended_at - window.started_at).total_seconds(),
                business_seconds=business,
                target_seconds=target,
                within_target=None if target is None else business <= target,
            )
        )
    GroupHold.objects.bulk_create(holds)
    return len(holds)
