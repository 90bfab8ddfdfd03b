"""Ticket time and volume: MTTA, first response, MTTR (first and total), opened, resolved,
the open backlog, the reopen rate and first-contact resolution. Every ticket type's fact
rows take part unless a filter narrows them."""

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
    ratio_finish,
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


# --- ratios -----------------------------------------------------------------------------------
# A record reopened within this many days of a resolution counts as reopened: later than
# that, a reply is more likely a new matter than the old one coming back (days of 24 hours).
REOPEN_WINDOW_DAYS = 7


def _ratio_metric(
    *, key, label, on, description, scope: Q, counted: Q, better="higher", target=None
) -> Metric:
    """``counted`` ÷ the records matching ``scope`` whose ``on`` day is in the period."""

    def scoped(filters: Filters):
        return facts(filters, on=on).filter(scope)

    def compute(filters: Filters) -> Result:
        rows, total = grouped(
            scoped(filters),
            filters,
            on=on,
            numerator=Count("pk", filter=counted),
            denominator=Count("pk"),
        )
        return Result(
            metric=found,
            filters=filters,
            rows=[ratio_finish(row) for row in rows],
            total=ratio_finish(total),
        )

    found = register(
        Metric(
            key=key,
            label=label,
            kind="ratio",
            description=description,
            compute=compute,
            records=scoped,
            better=better,
            target=target,
            headline="value",
        )
    )
    return found


REOPEN_RATE = _ratio_metric(
    key="reopen_rate",
    label="Reopen rate",
    on="first_resolved_on",
    description=(
        f"Records reopened within {REOPEN_WINDOW_DAYS} days of a resolution (by an agent, or by "
        "the caller answering that it is not fixed) ÷ records first resolved in the period; "
        "cancelled records are left out."
    ),
    scope=Q(is_cancelled=False, first_resolved_at__isnull=False),
    counted=Q(reopen_gap_seconds__lte=REOPEN_WINDOW_DAYS * 24 * 3600),
    better="lower",
)
FCR = _ratio_metric(
    key="fcr",
    label="First-contact resolution",
    on="first_resolved_on",
    description=(
        "Records resolved at the first contact ÷ eligible contacts resolved in the period. "
        "First contact: no reassignment to another group, escalation, wait for the caller or "
        "callback before the resolution; a call, chat or walk-in resolved within an hour, a "
        "mail or portal message within one business hour. Resolutions by a known error count; "
        "records made by monitoring events are not eligible."
    ),
    scope=Q(fcr__isnull=False),
    counted=Q(fcr=True),
)
