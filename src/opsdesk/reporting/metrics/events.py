"""Event noise: how many monitoring events became alerts, and how many alerts became incidents.

Events are the messages monitoring tools send (millions); de-duplication folds them into
alerts (one per fingerprint while active); some alerts open an incident or are attached to
one (``incidents.IncidentAlert``). Everything here is counted by grouped database
aggregates (a grouped count per level) and never loads events.

Each level is counted on its own day: events by the day they were received (from the daily
counts ``services.event_counts`` keeps, plus the few events not rolled up yet, so months of
events are read as a few hundred rows and survive the raw events' retention), alerts by the
day they were first seen, incidents through the alerts first seen in the period (an incident
counts once however many of those alerts it holds).

Grouping: without one, the rows are per integration (the monitoring tool), a grouping these
metrics keep for themselves; "service", "ci" and "team" are the alert's service, CI and team
(an event's are those of the alert it was folded into; an event dropped by a rule has none);
day, week and month are the day received.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Count, DateField, F, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek

from opsdesk.events.models import Alert, Event, Integration
from opsdesk.incidents.models import IncidentAlert
from opsdesk.reporting.metrics import register
from opsdesk.reporting.metrics.base import Filters, Metric, Result
from opsdesk.reporting.models import EventCount, RecordFact, RollupMark
from opsdesk.reporting.periods import day_end, day_start, organisation_zone

GROUP_COLUMNS = {"service": "service_id", "ci": "ci_id", "team": "team_id"}
NO_INTEGRATION = "No integration"


def _scoped(qs: QuerySet, filters: Filters, *, alert: str, moment: str) -> QuerySet:
    """``qs`` narrowed to the period (by ``moment``) and to the alert's service, CI, team
    (``alert`` is the path from the rows to their alert)."""
    qs = qs.filter(
        **{f"{moment}__gte": day_start(filters.start), f"{moment}__lt": day_end(filters.end)}
    )
    for name, column in GROUP_COLUMNS.items():
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{f"{alert}{column}": value})
    return qs


def _levels(filters: Filters) -> dict[str, tuple[QuerySet, str, str]]:
    """Each level's rows: (queryset, path to its alert, its day column)."""
    return {
        "events": (
            _scoped(Event.objects.all(), filters, alert="alert__", moment="received_at"),
            "alert__",
            "received_at",
        ),
        "alerts": (
            _scoped(Alert.objects.all(), filters, alert="", moment="first_seen"),
            "",
            "first_seen",
        ),
        "incidents": (
            _scoped(
                IncidentAlert.objects.all(), filters, alert="alert__", moment="alert__first_seen"
            ),
            "alert__",
            "alert__first_seen",
        ),
    }


def _grouping(filters: Filters, *, alert: str, moment: str):
    """The expression a level's rows are grouped by; ``None`` when the grouping does not
    apply to events (priority, category, channel, person, record type): total only."""
    match filters.group_by:
        case "":
            return F("integration_id" if not alert else f"{alert}integration_id")
        case "service" | "ci" | "team":
            return F(f"{alert}{GROUP_COLUMNS[filters.group_by]}")
        case "day" | "week" | "month":
            day = TruncDate(moment, tzinfo=organisation_zone())
            if filters.group_by == "week":
                return TruncWeek(day, output_field=DateField())
            if filters.group_by == "month":
                return TruncMonth(day, output_field=DateField())
            return day
    return None


def _rolled_events(filters: Filters, last_id: int) -> tuple[list[dict] | None, int]:
    """Events per group from the daily counts and the tail not rolled up yet: (rows of
    ``group``/``n``, or ``None`` when the grouping does not apply; the total)."""
    rolled = EventCount.objects.filter(day__gte=filters.start, day__lte=filters.end)
    for name, column in GROUP_COLUMNS.items():
        value = getattr(filters, name)
        if value is not None:
            rolled = rolled.filter(**{column: value})
    tail = _scoped(
        Event.objects.filter(pk__gt=last_id), filters, alert="alert__", moment="received_at"
    )
    match filters.group_by:
        case "":
            by = F("integration_id")
        case "service" | "ci" | "team":
            by = F(GROUP_COLUMNS[filters.group_by])
        case "day":
            by = F("day")
        case "week":
            by = TruncWeek("day")
        case "month":
            by = TruncMonth("day")
        case _:
            by = None
    total = (rolled.aggregate(n=Sum("events"))["n"] or 0) + tail.count()
    if by is None:
        return None, total
    found: dict = {}
    for row in rolled.annotate(group=by).values("group").annotate(n=Sum("events")).order_by():
        found[row["group"]] = found.get(row["group"], 0) + row["n"]
    expression = _grouping(filters, alert="alert__", moment="received_at")
    for row in tail.annotate(group=expression).values("group").annotate(n=Count("pk")).order_by():
        found[row["group"]] = found.get(row["group"], 0) + row["n"]
    return [{"group": key, "n": n} for key, n in found.items()], total


def _counts(filters: Filters) -> tuple[list[dict], dict]:
    """Events, alerts and incidents per group and in total, merged by group key.

    Every event and alert falls in exactly one group, so their totals are the sums of the
    groups (one scan of each, not two); an incident may hold alerts of several groups, so
    its total is counted apart (over the few incident links)."""
    totals: dict = {}
    by_group: dict = {}
    last_id = RollupMark.counted_up_to("events")
    for level, (qs, alert, moment) in _levels(filters).items():
        distinct = level == "incidents"
        if level == "events":
            rows, totals[level] = _rolled_events(filters, last_id)
            if rows is None:
                continue
        else:
            measure = Count("incident_id", distinct=True) if distinct else Count("pk")
            expression = _grouping(filters, alert=alert, moment=moment)
            if expression is None or distinct:
                totals[level] = qs.aggregate(n=measure)["n"]
            if expression is None:
                continue
            rows = list(
                qs.annotate(group=expression).values("group").annotate(n=measure).order_by()
            )
            if not distinct:
                totals[level] = sum(row["n"] for row in rows)
        for row in rows:
            key = row["group"]
            if hasattr(key, "isoformat"):
                key = key.isoformat()[:10]
            by_group.setdefault(key, {"group": key, "events": 0, "alerts": 0, "incidents": 0})
            by_group[key][level] = row["n"]
    if filters.group_by == "":
        names = dict(Integration.objects.filter(pk__in=list(by_group)).values_list("pk", "name"))
        for key, row in by_group.items():
            row["label"] = names.get(key, NO_INTEGRATION)
        rows_out = sorted(by_group.values(), key=lambda r: str(r["label"]).lower())
    else:
        rows_out = sorted(by_group.values(), key=lambda r: (r["group"] is None, str(r["group"])))
    return rows_out, {"events": 0, "alerts": 0, "incidents": 0, **totals}


def _ratio_metric(
    *, key: str, label: str, description: str, value: Callable[[dict], float | None], better: str
) -> Metric:
    def compute(filters: Filters) -> Result:
        rows, total = _counts(filters)
        for row in (*rows, total):
            row["value"] = value(row)
        return Result(metric=found, filters=filters, rows=rows, total=total)

    found = register(
        Metric(
            key=key,
            label=label,
            kind="ratio",
            description=description,
            compute=compute,
            records=records,
            record_types=("incident",),
            better=better,
            columns=[
                ("events", "Events"),
                ("alerts", "Alerts"),
                ("incidents", "Incidents"),
                ("value", label),
            ],
            headline="value",
        )
    )
    return found


def records(filters: Filters) -> QuerySet[RecordFact]:
    """The fact rows of the incidents the period's alerts opened or joined."""
    qs, _, _ = _levels(filters)["incidents"]
    return RecordFact.objects.filter(record_type="incident", record_id__in=qs.values("incident_id"))


NOISE_REDUCTION = _ratio_metric(
    key="noise_reduction",
    label="Noise reduction",
    better="higher",
    value=lambda row: 1 - row["incidents"] / row["alerts"] if row["alerts"] else None,
    description=(
        "1 − incidents ÷ alerts: the share of alerts that did not need an incident of their "
        "own. Alerts are those first seen in the period (repeats of one fingerprint fold "
        "into one alert); incidents are the distinct incidents those alerts opened or were "
        "attached to. Per integration, or by the alert's service, CI or team."
    ),
)
ALERTS_PER_EVENT = _ratio_metric(
    key="alerts_per_event",
    label="Alerts per event",
    better="lower",
    value=lambda row: row["alerts"] / row["events"] if row["events"] else None,
    description=(
        "Alerts ÷ events: how much de-duplication folds the monitoring stream. Events are "
        "every message received in the period (dropped and suppressed ones included); "
        "alerts are those first seen in the period. Per integration, or by the alert's "
        "service, CI or team (an event counts with the alert it was folded into)."
    ),
)
