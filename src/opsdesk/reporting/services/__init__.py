"""Every write of reporting: fact rows after each ticket change (with the record's group
holds), the daily backlog snapshot and its backfill."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from opsdesk.core.tickets.registry import ticket_type
from opsdesk.reporting.backlog import age_bucket_case, open_at
from opsdesk.reporting.facts import fact_values
from opsdesk.reporting.models import BacklogSnapshot, RecordFact
from opsdesk.reporting.periods import day_end, local_day, organisation_zone
from opsdesk.reporting.services.holds import group_holds_write


def resolved_by_known_error(resolved: dict[int, datetime]) -> set[int]:
    """The incidents among ``resolved`` (incident id -> first resolution) that were resolved
    by a known error: linked, by their first resolution, to a problem whose root cause was
    already known then (the problem recorded as a known error: ``root_cause_at``) and not
    withdrawn (cancelled) by then. One query for any number of incidents.

    Everything is compared with the first resolution, so a problem that becomes a known error
    later, or a link made after the resolution, leaves the answer as it was.
    """
    if not resolved:
        return set()
    from opsdesk.problems.models import ProblemIncident, ProblemState

    links = ProblemIncident.objects.filter(
        incident_id__in=list(resolved), problem__root_cause_at__isnull=False
    ).values_list(
        "incident_id", "linked_at", "problem__root_cause_at", "problem__state", "problem__closed_at"
    )
    found = set()
    for incident, linked, cause, state, closed in links:
        at = resolved[incident]
        withdrawn = state == ProblemState.CANCELLED and closed is not None and closed <= at
        if cause is not None and linked <= at and cause <= at and not withdrawn:
            found.add(incident)
    return found


def _known_error_resolved(record_type: str, record) -> bool:
    resolved = getattr(record, "first_resolved_at", None)
    if record_type != "incident" or resolved is None:
        return False
    return record.pk in resolved_by_known_error({record.pk: resolved})


def record_fact_refresh(*, record_type: str, record_id: int) -> RecordFact | None:
    """Rewrite the fact row of one ticket from what it is now; drop it when the ticket is gone."""
    tt = ticket_type(record_type)
    record = tt.model._default_manager.filter(pk=record_id).first()
    if record is None:
        RecordFact.objects.filter(record_type=record_type, record_id=record_id).delete()
        return None
    values = fact_values(record, known_error_resolved=_known_error_resolved(record_type, record))
    with transaction.atomic():
        fact, _ = RecordFact.objects.update_or_create(
            record_type=record_type, record_id=record_id, defaults=values
        )
        group_holds_write(fact)
    return fact


def backlog_snapshot_take(*, day: date | None = None) -> int:
    """Count what was open at the end of ``day`` (yesterday by default, in the organisation's
    zone) per type, team, priority and age bucket (ages at the day's end), in one grouped
    query; taking a day again replaces its rows. Returns the rows written."""
    if day is None:
        day = local_day(timezone.now()) - timedelta(days=1)
    end = day_end(day)
    grouped = (
        RecordFact.objects.filter(open_at(end))
        .annotate(bucket=age_bucket_case(end))
        .values("record_type", "team_id", "priority", "bucket")
        .annotate(count=Count("pk"))
        .order_by()
    )
    with transaction.atomic():
        BacklogSnapshot.objects.filter(day=day).delete()
        created = BacklogSnapshot.objects.bulk_create(
            BacklogSnapshot(day=day, **row) for row in grouped
        )
    return len(created)


def backlog_snapshot_due(*, now: datetime | None = None) -> int | None:
    """What the hourly job does: take yesterday's snapshot in the organisation's first hour
    of the day (whatever its zone and daylight-saving time), or at any hour when yesterday
    is missing (the worker was down at midnight). Returns the rows written, or None."""
    now = now or timezone.now()
    yesterday = local_day(now) - timedelta(days=1)
    midnight_hour = now.astimezone(organisation_zone()).hour == 0
    if midnight_hour or not BacklogSnapshot.objects.filter(day=yesterday).exists():
        return backlog_snapshot_take(day=yesterday)
    return None


def backlog_snapshots_backfill(*, days: int = 90, until: date | None = None) -> int:
    """Take the snapshots of the ``days`` days up to ``until`` (yesterday by default) from the
    fact rows as they are now, for a trend that starts before the nightly job did (demo data,
    an upgrade). Returns the rows written."""
    if days < 1:
        raise ValueError("backfill at least one day")
    if until is None:
        until = local_day(timezone.now()) - timedelta(days=1)
    return sum(backlog_snapshot_take(day=until - timedelta(days=offset)) for offset in range(days))
