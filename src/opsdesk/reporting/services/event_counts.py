"""Rolling monitoring events up into daily counts (``EventCount``), a batch at a time.

Events are read in id order up to the first one still waiting to be processed (until then
its alert, and so its service, is not known), grouped in the database by day, integration
and the alert's service, CI and team, and added to the day's rows; the mark moves in the
same transaction, so a batch is counted exactly once however often the job runs.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, F, Max, Min
from django.db.models.functions import TruncDate

from opsdesk.events.models import Event, EventState
from opsdesk.reporting.models import EventCount, RollupMark
from opsdesk.reporting.periods import organisation_zone

MARK = "events"
BATCH = 50_000


def counted_up_to() -> int:
    """Every event with an id up to this one is in the daily counts."""
    return RollupMark.counted_up_to(MARK)


def _ready_up_to(after: int, batch: int) -> int:
    """The highest id that may be counted now: below the first pending event, at most
    ``batch`` events past the mark."""
    pending = Event.objects.filter(state=EventState.PENDING, pk__gt=after).aggregate(
        first=Min("pk")
    )["first"]
    newest = Event.objects.aggregate(last=Max("pk"))["last"] or after
    ready = min(newest, pending - 1) if pending is not None else newest
    # At most ``batch`` events (ids have gaps: purged, rolled back, other sequences).
    nth = list(
        Event.objects.filter(pk__gt=after, pk__lte=ready)
        .order_by("pk")
        .values_list("pk", flat=True)[batch - 1 : batch]
    )
    return nth[0] if nth else ready


def event_counts_roll_up(*, batch: int = BATCH) -> int:
    """Count the next batch of processed events into the daily rows; returns how many."""
    with transaction.atomic():
        mark, _ = RollupMark.objects.select_for_update().get_or_create(name=MARK)
        upper = _ready_up_to(mark.last_id, batch)
        if upper <= mark.last_id:
            return 0
        grouped = (
            Event.objects.filter(pk__gt=mark.last_id, pk__lte=upper)
            .annotate(day=TruncDate("received_at", tzinfo=organisation_zone()))
            .values(
                "day",
                "integration_id",
                service_id=F("alert__service_id"),
                ci_id=F("alert__ci_id"),
                team_id=F("alert__team_id"),
            )
            .annotate(n=Count("pk"))
            .order_by()
        )
        counted = 0
        for row in grouped:
            n = row.pop("n")
            counted += n
            existing = EventCount.objects.filter(**row).first()
            if existing is None:
                EventCount.objects.create(events=n, **row)
            else:
                EventCount.objects.filter(pk=existing.pk).update(events=F("events") + n)
        mark.last_id = upper
        mark.save(update_fields=["last_id"])
    return counted


def event_counts_catch_up(*, batch: int = BATCH) -> int:
    """Roll up everything that is ready (the minute job, and after a bulk import)."""
    total = 0
    while True:
        done = event_counts_roll_up(batch=batch)
        if not done and counted_up_to() >= _ready_up_to(counted_up_to(), batch):
            return total
        total += done
