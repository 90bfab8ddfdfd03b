"""Every write of reporting: fact rows after each ticket change, the daily backlog snapshot."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Case, CharField, Count, Q, Value, When
from django.utils import timezone

from opsdesk.core.tickets.registry import ticket_type, ticket_types
from opsdesk.reporting.facts import fact_values
from opsdesk.reporting.models import AGE_BUCKETS, BacklogSnapshot, RecordFact
from opsdesk.reporting.periods import day_end, local_day


def _known_error_resolved(record_type: str, record) -> bool:
    """An incident first resolved while linked to a problem whose root cause was already known
    (the problem recorded as a known error: ``root_cause_at``) and not withdrawn (cancelled)
    by then: the desk resolved it by the known error.

    Everything is compared with the incident's first resolution, so a problem that becomes a
    known error later, or a link made after the resolution, leaves the answer as it was.
    """
    resolved = getattr(record, "first_resolved_at", None)
    if record_type != "incident" or resolved is None:
        return False
    from opsdesk.problems.models import ProblemIncident, ProblemState

    return (
        ProblemIncident.objects.filter(
            incident_id=record.pk, linked_at__lte=resolved, problem__root_cause_at__lte=resolved
        )
        .exclude(problem__state=ProblemState.CANCELLED, problem__closed_at__lte=resolved)
        .exists()
    )


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
    return fact


def facts_rebuild(*, record_type: str | None = None, batch: int = 500) -> int:
    """Recompute every fact row (after an upgrade, or a change of calendars); returns how many."""
    done = 0
    for tt in ticket_types():
        if record_type is not None and tt.key != record_type:
            continue
        ids = tt.model._default_manager.order_by("pk").values_list("pk", flat=True)
        for record_id in ids.iterator(chunk_size=batch):
            record_fact_refresh(record_type=tt.key, record_id=record_id)
            done += 1
    return done


def age_bucket_case(end):
    """The SQL ``CASE`` that puts a record opened at ``opened_at`` in its age bucket at ``end``."""
    whens = [
        When(opened_at__gt=end - timedelta(days=high), then=Value(key))
        for key, _label, _low, high in AGE_BUCKETS
        if high is not None
    ]
    return Case(*whens, default=Value(AGE_BUCKETS[-1][0]), output_field=CharField())


def open_at(end) -> Q:
    """Records open at ``end``: opened before it and not yet resolved or closed by then."""
    finished_later = Q(resolved_at__gte=end) | Q(resolved_at__isnull=True, closed_at__gte=end)
    return Q(opened_at__lt=end, is_cancelled=False) & (Q(is_open=True) | finished_later)


def backlog_snapshot_take(*, day: date | None = None) -> int:
    """Count what was open at the end of ``day`` (yesterday by default) per type, team,
    priority and age bucket, in one grouped query; taking a day again replaces its rows.
    Returns the rows written."""
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
