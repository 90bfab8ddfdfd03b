"""Fact rows for many records at once: seeding, the demo and ``opsdesk reports rebuild``.

``record_fact_refresh`` reads one record's history, SLA clocks and problem links a query each;
over a hundred thousand records that is the time. Here a batch of records is read with its
history rows, its clocks' calendars and its known-error links in one query each, the values
are worked out by the same ``fact_values``, and the rows are written with one delete and one
insert per batch. The numbers are the same as a refresh one by one gives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from opsdesk.core.models import TicketHistory
from opsdesk.core.tickets.registry import TicketType, ticket_type, ticket_types
from opsdesk.reporting.facts import Calendars, fact_values
from opsdesk.reporting.models import RecordFact
from opsdesk.reporting.services import resolved_by_known_error
from opsdesk.reporting.services.holds import group_holds_write
from opsdesk.sla.models import SlaTimer, TimerKind

Progress = Callable[[int, int], None]


def _calendars(model, ids: list[int]) -> dict[int, Calendars]:
    """Each record's (response, resolution) calendars, as ``record_calendars`` picks them."""
    content_type = ContentType.objects.get_for_model(model)
    timers = (
        SlaTimer.objects.filter(
            content_type=content_type,
            object_id__in=[str(i) for i in ids],
            kind__in=[TimerKind.RESPONSE, TimerKind.RESOLUTION],
        )
        .order_by("object_id", "-cycle", "-id")
        .select_related("calendar")
    )
    per_record: dict[int, list[SlaTimer]] = defaultdict(list)
    for timer in timers:
        per_record[int(timer.object_id)].append(timer)
    found: dict[int, Calendars] = {}
    for record_id, mine in per_record.items():
        resolution = next((t.calendar for t in mine if t.kind == TimerKind.RESOLUTION), None)
        response = next((t.calendar for t in reversed(mine) if t.kind == TimerKind.RESPONSE), None)
        found[record_id] = (response or resolution, resolution or response)
    return found


def _known_error_resolved(tt: TicketType, records: list) -> set[int]:
    """The incidents among ``records`` resolved by a known error, by the same rule as a
    record's own refresh (``resolved_by_known_error``)."""
    if tt.key != "incident":
        return set()
    return resolved_by_known_error(
        {r.pk: r.first_resolved_at for r in records if r.first_resolved_at is not None}
    )


def facts_for(tt: TicketType, records: list) -> list[RecordFact]:
    """Unsaved fact rows for ``records`` of one type, read in a few queries."""
    ids = [r.pk for r in records]
    history: dict[int, list[TicketHistory]] = defaultdict(list)
    for row in TicketHistory.objects.filter(record_type=tt.key, record_id__in=ids).order_by(
        "record_id", "at", "id"
    ):
        history[row.record_id].append(row)
    calendars = _calendars(tt.model, ids)
    by_known_error = _known_error_resolved(tt, records)
    return [
        RecordFact(
            record_type=tt.key,
            record_id=record.pk,
            **fact_values(
                record,
                known_error_resolved=record.pk in by_known_error,
                rows=history.get(record.pk, []),
                calendars=calendars.get(record.pk, (None, None)),
            ),
        )
        for record in records
    ]


def facts_write(tt: TicketType, ids: list[int]) -> int:
    """Recompute and replace the fact rows of these records of one type; returns how many."""
    records = list(tt.model._default_manager.filter(pk__in=ids).order_by("pk"))
    facts = facts_for(tt, records)
    with transaction.atomic():
        # Rows of records deleted since go too (their group holds with them).
        RecordFact.objects.filter(record_type=tt.key, record_id__in=ids).delete()
        RecordFact.objects.bulk_create(facts, batch_size=500)
        for fact in facts:
            group_holds_write(fact)
    return len(facts)


def _types(record_type: str | None) -> list[TicketType]:
    if record_type is None:
        return list(ticket_types())
    return [ticket_type(record_type)]


def facts_total(*, record_type: str | None = None) -> int:
    """How many records a rebuild would compute."""
    return sum(tt.model._default_manager.count() for tt in _types(record_type))


def facts_rebuild_bulk(
    *,
    record_type: str | None = None,
    batch: int = 1000,
    progress: Progress | None = None,
    ids: Iterable[int] | None = None,
) -> int:
    """Recompute every fact row (of one type, with ``record_type``; of some records of that
    type, with ``ids`` too) in batches; ``progress(done, total)`` after each batch. Fact rows
    of records that no longer exist are dropped. Returns how many rows were written.

    Raises ``KeyError`` for a record type that is not registered.
    """
    types = _types(record_type)
    if ids is not None and record_type is None:
        raise ValueError("Name the record type of the ids.")
    wanted = None if ids is None else sorted(set(ids))
    total = (
        sum(tt.model._default_manager.count() for tt in types) if wanted is None else len(wanted)
    )
    done = 0
    for tt in types:
        all_ids = (
            list(tt.model._default_manager.order_by("pk").values_list("pk", flat=True))
            if wanted is None
            else wanted
        )
        if wanted is None:
            RecordFact.objects.filter(record_type=tt.key).exclude(
                record_id__in=tt.model._default_manager.values("pk")
            ).delete()
        for start in range(0, len(all_ids), batch):
            done += facts_write(tt, all_ids[start : start + batch])
            if progress is not None:
                progress(done, total)
    return done
