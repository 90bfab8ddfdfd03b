"""Ticket time and volume: MTTA, first response, MTTR (first and total), opened, resolved,
and the open backlog. Every ticket type's fact rows take part unless a filter narrows them."""

from __future__ import annotations

from django.db.models import Count, Q

from opsdesk.reporting.metrics import register
from opsdesk.reporting.metrics.base import (
    Filters,
    Metric,
    Result,
    duration_aggregates,
    facts,
    grouped,
)


def duration_metric(
    *,
    key: str,
    label: str,
    column: str,
    on: str,
    description: str,
    exclude_event_made: bool = False,
    extra: Q | None = None,
    missing: tuple[str, Q] | None = None,
) -> Metric:
    """A mean/median/p90 of ``column`` (or its ``*_business_*`` twin) over the records whose
    ``on`` day is in the period. ``missing`` = (name, condition): records of the period that
    have no value are counted apart under ``name`` instead of silently dropped."""

    def _column(filters: Filters) -> str:
        return column.replace("_seconds", "_business_seconds") if filters.business else column

    def scoped(filters: Filters):
        qs = facts(filters, on=on)
        if exclude_event_made:
            qs = qs.filter(event_made=False)
        if extra is not None:
            qs = qs.filter(extra)
        return qs

    def compute(filters: Filters) -> Result:
        col = _column(filters)
        aggregates = duration_aggregates(col)
        if missing is not None:
            aggregates[missing[0]] = Count("pk", filter=missing[1])
        rows, total = grouped(scoped(filters), filters, on=on, **aggregates)
        return Result(metric=found, filters=filters, rows=rows, total=total)

    def records(filters: Filters):
        return scoped(filters).filter(**{f"{_column(filters)}__isnull": False})

    columns = None
    if missing is not None:
        columns = [
            ("count", "Records"),
            ("mean", "Mean"),
            ("median", "Median"),
            ("p90", "p90"),
            (missing[0], "Never " + missing[0].removeprefix("never_").replace("_", " ")),
        ]
    found = register(
        Metric(
            key=key,
            label=label,
            kind="duration",
            description=description,
            compute=compute,
            records=records,
            columns=columns or [],
        )
    )
    return found


MTTA = duration_metric(
    key="mtta",
    label="Mean time to acknowledge",
    column="ack_seconds",
    on="opened_on",
    description=(
        "First acknowledgement (or, for desk tickets, first assignment to a person) minus "
        "opened, over records opened in the period. Records never acknowledged are counted "
        "apart, not dropped."
    ),
    missing=("never_acknowledged", Q(acknowledged_at__isnull=True)),
)
FIRST_RESPONSE = duration_metric(
    key="first_response",
    label="First response",
    column="response_seconds",
    on="opened_on",
    exclude_event_made=True,
    description=(
        "First public reply by an agent minus opened, over records opened in the period. "
        "Work notes and automatic replies do not count; records made by monitoring events "
        "are left out."
    ),
    missing=("never_responded", Q(first_response_at__isnull=True)),
)
MTTR = duration_metric(
    key="mttr",
    label="Mean time to resolve",
    column="resolve_seconds",
    on="first_resolved_on",
    extra=Q(is_cancelled=False),
    description=(
        "First resolution (closing, where never resolved) minus opened, over records first "
        "resolved in the period; cancelled records are left out. In business time the time "
        "the SLA was paused is subtracted."
    ),
)
MTTR_TOTAL = duration_metric(
    key="mttr_total",
    label="Total resolution time",
    column="total_resolve_seconds",
    on="resolved_on",
    extra=Q(is_cancelled=False, is_open=False),
    description=(
        "Last resolution minus opened, every reopened cycle included, over records finally "
        "resolved in the period."
    ),
)


def _count_metric(*, key, label, on, description, extra: Q | None = None, better="higher"):
    def scoped(filters: Filters):
        qs = facts(filters, on=on)
        return qs.filter(extra) if extra is not None else qs

    def compute(filters: Filters) -> Result:
        rows, total = grouped(scoped(filters), filters, on=on, count=Count("pk"))
        return Result(metric=found, filters=filters, rows=rows, total=total)

    found = register(
        Metric(
            key=key,
            label=label,
            kind="count",
            description=description,
            compute=compute,
            records=scoped,
            better=better,
            headline="count",
        )
    )
    return found


OPENED = _count_metric(
    key="opened",
    label="Opened",
    on="opened_on",
    description="Records opened in the period.",
    better="lower",
)
RESOLVED = _count_metric(
    key="resolved",
    label="Resolved",
    on="first_resolved_on",
    extra=Q(is_cancelled=False),
    description="Records first resolved (or closed) in the period; cancelled ones left out.",
)
BACKLOG = _count_metric(
    key="backlog",
    label="Open backlog",
    on=None,
    extra=Q(is_open=True),
    description="Records open now, whatever the period (the trend comes from daily snapshots).",
    better="lower",
)
