"""Reads of reporting: metric figures and the records behind them, for those who may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from opsdesk.core.errors import NotPermitted
from opsdesk.core.roles import is_admin, is_agent
from opsdesk.reporting import metrics
from opsdesk.reporting.backlog import bucket_condition
from opsdesk.reporting.metrics import FilterError, Filters, Result
from opsdesk.reporting.metrics.base import FILTER_COLUMNS, GROUPINGS, INTEGER_FILTERS
from opsdesk.reporting.models import AGE_BUCKETS, ImprovementAction, RecordFact
from opsdesk.reporting.periods import day_end, day_start, local_day, organisation_zone


def may_see_reports(viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False) and is_agent(viewer))


def require_reports(viewer) -> None:
    """Refuse anyone who may not see reports (a 403 in the API and on the pages)."""
    if not may_see_reports(viewer):
        raise NotPermitted("Reports are for the IT team.")


def metric_result(*, key: str, filters: Filters, viewer) -> Result:
    require_reports(viewer)
    return metrics.compute(key, filters)


def metric_records(
    *,
    key: str,
    filters: Filters,
    viewer,
    group: str | None = None,
    weekday: int | None = None,
    hour: int | None = None,
    bucket: str = "",
) -> QuerySet:
    """The fact rows behind a number (one group's, when given; one cell of the heat map with
    ``weekday``/``hour``), newest first; confidential records only for administrators."""
    if not may_see_reports(viewer):
        return RecordFact.objects.none()
    found = metrics.metric(key)
    if found.records is None:
        return RecordFact.objects.none()
    if group == "" and filters.group_by in FILTER_COLUMNS:
        # The group of records without a value (unassigned, no service...).
        column = FILTER_COLUMNS[filters.group_by]
        empty = Q(**{f"{column}__isnull": True})
        if filters.group_by not in INTEGER_FILTERS:
            empty |= Q(**{column: ""})
        qs = found.records(filters.with_(group_by="")).filter(empty)
    else:
        qs = found.records(filters.narrow(group) if group else filters.with_(group_by=""))
    if weekday is not None or hour is not None:
        qs = records_at(qs, weekday=weekday, hour=hour)
    if bucket:
        qs = qs.filter(bucket_condition(bucket, ageing_end(filters)))
    if not is_admin(viewer) and qs.model is RecordFact:
        qs = qs.exclude(confidential=True)
    if qs.model is RecordFact:
        return qs.select_related("team", "assignee", "service").order_by("-opened_at", "-id")
    return qs


# --- the improvement register -----------------------------------------------------------------
# "Before" spans as many days as "after" does, at least a week, at most a period's maximum.
MIN_MEASURE_DAYS = 7


@dataclass
class Measure:
    """A metric's headline before an action started and since: the action page's comparison."""

    metric: metrics.Metric
    before: Result
    after: Result | None
    column: str

    @property
    def before_value(self):
        return self.before.total.get(self.column)

    @property
    def after_value(self):
        return None if self.after is None else self.after.total.get(self.column)

    @property
    def moved(self) -> str:
        """ "better", "worse", "same" or "" (nothing to compare yet)."""
        before, after = self.before_value, self.after_value
        if before is None or after is None:
            return ""
        if after == before:
            return "same"
        lower_is_better = self.metric.better == "lower"
        return "better" if (after < before) == lower_is_better else "worse"


def improvement_list(*, viewer, state: str = "") -> QuerySet[ImprovementAction]:
    if not may_see_reports(viewer):
        return ImprovementAction.objects.none()
    qs = ImprovementAction.objects.select_related("owner", "problem")
    return qs.filter(state=state) if state else qs


def improvement_filters(action: ImprovementAction, *, start: date, end: date) -> Filters:
    return Filters.from_query(
        {
            **dict(parse_qsl(action.metric_filters)),
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
    )


def improvement_measure(*, action: ImprovementAction, today: date) -> Measure | None:
    """The action's metric over the days before it started and the days since (to its end,
    when finished); before it starts, the recent figure alone. ``None``: the metric is gone."""
    try:
        found = metrics.metric(action.metric_key)
    except KeyError:
        return None
    column = found.headline if found.kind != "ratio" else "value"
    if action.started_on is None:
        days = 30
        before = metrics.compute(
            found.key,
            improvement_filters(action, start=today - timedelta(days=days - 1), end=today),
        )
        return Measure(metric=found, before=before, after=None, column=column)
    last = min(action.finished_on or today, today)
    length = max((last - action.started_on).days + 1, MIN_MEASURE_DAYS)
    before_end = action.started_on - timedelta(days=1)
    before = metrics.compute(
        found.key,
        improvement_filters(action, start=before_end - timedelta(days=length - 1), end=before_end),
    )
    after = metrics.compute(
        found.key,
        improvement_filters(action, start=action.started_on, end=max(last, action.started_on)),
    )
    return Measure(metric=found, before=before, after=after, column=column)


def service_hours_overview(*, viewer) -> QuerySet:
    """Every service measured for availability, with the calendar its hours follow
    (``hours_calendar`` is empty for the 24x7 default); administrators only."""
    from django.db.models import OuterRef, Subquery

    from opsdesk.cmdb.models import SERVICE_CLASSES, ConfigurationItem
    from opsdesk.reporting.models import ServiceHours

    if not is_admin(viewer):
        return ConfigurationItem.objects.none()
    hours = ServiceHours.objects.filter(service_id=OuterRef("pk"))
    return (
        ConfigurationItem.objects.filter(ci_class__key__in=SERVICE_CLASSES)
        .annotate(hours_calendar=Subquery(hours.values("calendar__name")[:1]))
        .select_related("ci_class")
        .order_by("name", "pk")
    )


def service_hours_calendar_id(*, service_id) -> int | None:
    """The calendar a service's hours follow now (``None``: the 24x7 default)."""
    from opsdesk.reporting.models import ServiceHours

    try:
        service_id = int(service_id)
    except (TypeError, ValueError):
        return None
    found = ServiceHours.objects.filter(service_id=service_id).values_list("calendar_id", flat=True)
    return found.first()


# --- saved reports and subscriptions ----------------------------------------------------------
def saved_report_list(*, viewer) -> QuerySet:
    """The viewer's own reports and those other agents shared, by name."""
    from django.db.models import Q

    from opsdesk.reporting.models import SavedReport

    if not may_see_reports(viewer):
        return SavedReport.objects.none()
    return (
        SavedReport.objects.filter(Q(owner=viewer) | Q(shared=True))
        .select_related("owner")
        .order_by("name", "id")
    )


def subscription_list(*, viewer) -> QuerySet:
    """The viewer's own subscriptions, active first."""
    from opsdesk.reporting.models import ReportSubscription

    if not getattr(viewer, "is_authenticated", False):
        return ReportSubscription.objects.none()
    return (
        ReportSubscription.objects.filter(user=viewer)
        .select_related("report")
        .order_by("state", "-created_at", "-id")
    )


def ageing_end(filters: Filters) -> datetime:
    """The moment the backlog is aged at: now, or the end of the period when it is over (as
    the backlog ageing metric does)."""
    now = timezone.now()
    return now if filters.end >= local_day(now) else day_end(filters.end)


# --- dashboards ---------------------------------------------------------------------------
BUCKET_KEYS = tuple(key for key, *_ in AGE_BUCKETS)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HEAT_LEVELS = 5  # shades of a heat-map cell besides "none"
BREACH_WINDOW = timedelta(hours=4)
LIST_LIMIT = 20


def filter_options() -> dict[str, list[tuple[str, str]]]:
    """The choices of the filter form, as (URL value, label) pairs."""
    from opsdesk.cmdb.selectors import service_list
    from opsdesk.core.models import Team
    from opsdesk.core.models.tickets import TicketPriority
    from opsdesk.core.tickets.registry import ticket_types

    return {
        "team": [
            (str(pk), name) for pk, name in Team.objects.order_by("name").values_list("pk", "name")
        ],
        "service": [
            (str(pk), name)
            for pk, name in service_list().order_by("name").values_list("pk", "name")
        ],
        "priority": [(str(value), label) for value, label in TicketPriority.choices],
        "record_type": sorted(((tt.key, tt.label) for tt in ticket_types()), key=lambda o: o[1]),
    }


def viewer_team_id(viewer) -> int | None:
    """The first team the viewer belongs to (the team lead's own queue)."""
    from opsdesk.core.models import Team

    return Team.objects.filter(members=viewer).order_by("name").values_list("pk", flat=True).first()


def records_at(qs: QuerySet, *, weekday: int | None = None, hour: int | None = None) -> QuerySet:
    """Fact rows opened on an ISO ``weekday`` (1 = Monday) and/or ``hour`` of the
    organisation's day: one cell of the heat map."""
    zone = organisation_zone()
    if weekday is not None:
        qs = qs.annotate(open_weekday=ExtractIsoWeekDay("opened_at", tzinfo=zone)).filter(
            open_weekday=weekday
        )
    if hour is not None:
        qs = qs.annotate(open_hour=ExtractHour("opened_at", tzinfo=zone)).filter(open_hour=hour)
    return qs


def incident_heatmap(*, filters: Filters, viewer) -> dict:
    """Incidents opened in the period by weekday and hour of the organisation's day, in one
    grouped query; each cell carries its count and a shade 0..HEAT_LEVELS of the busiest."""
    require_reports(viewer)
    from opsdesk.reporting.metrics.base import facts

    zone = organisation_zone()
    counts = {
        (row["weekday"], row["hour"]): row["count"]
        for row in facts(filters.with_(record_type="incident"), on="opened_on")
        .annotate(
            weekday=ExtractIsoWeekDay("opened_at", tzinfo=zone),
            hour=ExtractHour("opened_at", tzinfo=zone),
        )
        .values("weekday", "hour")
        .annotate(count=Count("pk"))
        .order_by()
    }
    busiest = max(counts.values(), default=0)
    rows = []
    for weekday, name in enumerate(WEEKDAYS, start=1):
        cells = []
        for hour in range(24):
            count = counts.get((weekday, hour), 0)
            shade = 0 if not count else max(1, round(HEAT_LEVELS * count / busiest))
            cells.append({"weekday": weekday, "hour": hour, "count": count, "shade": shade})
        rows.append(
            {
                "weekday": weekday,
                "label": name,
                "cells": cells,
                "total": sum(c["count"] for c in cells),
            }
        )
    return {
        "rows": rows,
        "hours": list(range(24)),
        "busiest": busiest,
        "total": sum(counts.values()),
        # Each cell opens the incidents opened then: the "opened" metric, narrowed to it.
        "href": _records_href("opened", filters.with_(record_type="incident", group_by="")),
    }


def breaching_soon(*, filters: Filters, viewer, now: datetime | None = None) -> list[dict]:
    """Open records (of the team and service filtered) with a running SLA clock due within
    ``BREACH_WINDOW``, overdue ones first; confidential ones only for administrators."""
    require_reports(viewer)
    from opsdesk.core.tickets.registry import ticket_type, ticket_types
    from opsdesk.reporting.metrics.base import facts
    from opsdesk.sla.selectors import sla_breaching_soon

    now = now or timezone.now()
    open_facts = facts(filters, on=None).filter(is_open=True)
    if not is_admin(viewer):
        open_facts = open_facts.exclude(confidential=True)
    found: list[dict] = []
    types = [filters.record_type] if filters.record_type else [tt.key for tt in ticket_types()]
    for key in types:
        tt = ticket_type(key)
        ids = open_facts.filter(record_type=key).values("record_id")
        records = sla_breaching_soon(
            queryset=tt.model._default_manager.filter(pk__in=ids), within=BREACH_WINDOW, now=now
        )[:LIST_LIMIT]
        for record in records:
            found.append(
                {
                    "number": getattr(record, "number", str(record)),
                    "summary": getattr(record, "short_description", ""),
                    "type": tt.label,
                    "due": record.sla_next_due,
                    "overdue": record.sla_next_due <= now,
                    "url": tt.url(record),
                }
            )
    found.sort(key=lambda row: row["due"])
    return found[:LIST_LIMIT]


def major_incidents(*, filters: Filters, viewer) -> list[dict]:
    """Major incidents declared in the period (on the service filtered), newest first."""
    require_reports(viewer)
    from opsdesk.core.tickets.registry import ticket_type
    from opsdesk.incidents.selectors import incident_list

    tt = ticket_type("incident")
    qs = incident_list(viewer=viewer)
    qs = qs.filter(
        is_major=True,
        major_declared_at__gte=day_start(filters.start),
        major_declared_at__lt=day_end(filters.end),
    )
    if filters.service:
        qs = qs.filter(service_id=filters.service)
    if filters.team:
        qs = qs.filter(assignment_group_id=filters.team)
    rows = []
    for incident in qs.select_related("service").order_by("-major_declared_at")[:LIST_LIMIT]:
        declared, ended = incident.major_declared_at, incident.major_ended_at
        rows.append(
            {
                "number": incident.number,
                "summary": incident.short_description,
                "service": incident.service.name if incident.service else "",
                "declared": declared,
                "ended": ended,
                "seconds": (ended - declared).total_seconds() if ended and declared else None,
                "url": tt.url(incident),
            }
        )
    return rows


def alert_counts(*, filters: Filters, viewer) -> dict:
    """Alerts first seen in the period, by severity (strongest first), and those open now."""
    require_reports(viewer)
    from opsdesk.events.models import ACTIVE_ALERT_STATUSES, Alert, Severity

    qs = Alert.objects.all()
    if filters.service:
        qs = qs.filter(service_id=filters.service)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    period = qs.filter(
        first_seen__gte=day_start(filters.start), first_seen__lt=day_end(filters.end)
    )
    by_severity = dict(
        period.values("highest_severity")
        .annotate(count=Count("pk"))
        .values_list("highest_severity", "count")
    )
    rows = [
        {"severity": value, "label": label, "count": by_severity.get(value, 0)}
        for value, label in Severity.choices
    ]
    return {
        "rows": rows,
        "total": sum(by_severity.values()),
        "open": qs.filter(status__in=ACTIVE_ALERT_STATUSES).count(),
    }


def heartbeat_status(*, viewer) -> dict:
    """Heartbeats by status, and the ones down (the scheduled jobs that did not check in)."""
    require_reports(viewer)
    from opsdesk.events.models import Heartbeat, HeartbeatStatus

    counts = dict(
        Heartbeat.objects.values("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    down = list(
        Heartbeat.objects.filter(status=HeartbeatStatus.DOWN)
        .order_by("due_at", "name")
        .values("name", "due_at", "last_check_in_at")[:LIST_LIMIT]
    )
    return {
        "rows": [
            {"status": value, "label": label, "count": counts.get(value, 0)}
            for value, label in HeartbeatStatus.choices
        ],
        "total": sum(counts.values()),
        "down": down,
    }


def maintenance_windows(*, viewer, now: datetime | None = None) -> list[dict]:
    """Maintenance windows under way or starting in the next seven days."""
    require_reports(viewer)
    from opsdesk.events.models import MaintenanceWindow

    now = now or timezone.now()
    windows = MaintenanceWindow.objects.filter(
        Q(weekly=True) | Q(ends_at__gt=now, starts_at__lt=now + timedelta(days=7))
    ).order_by("starts_at")[:LIST_LIMIT]
    return [
        {
            "name": window.name,
            "starts": window.starts_at,
            "ends": window.ends_at,
            "weekly": window.weekly,
            "under_way": window.starts_at <= now < window.ends_at,
        }
        for window in windows
    ]


def _records_href(key: str, filters: Filters, group: str | None = None, bucket: str = "") -> str:
    """The address of the records behind a figure: the metric, the filters, the group (and
    the age bucket, for a backlog column of one)."""
    from urllib.parse import urlencode

    from django.urls import reverse

    query = {"metric": key, **filters.to_query()}
    if group is None:
        query.pop("group_by", None)
    else:
        query["group"] = group
    if bucket:
        query["bucket"] = bucket
    return f"{reverse('reporting:records')}?{urlencode(query)}"


def _cell(found, column: str, value, href: str | None) -> dict:
    return {"metric": found, "kind": found.kind, "column": column, "value": value, "href": href}


def _headline_columns(found) -> list[tuple[str, str]]:
    """The columns a metric shows in a table: all of them alone, its headline beside others."""
    return [(c, label) for c, label in found.columns if c == found.headline] or found.columns[:1]


def panel_data(*, panel, filters: Filters, viewer) -> dict | None:
    """What one dashboard panel shows: its metrics' figures as cards, a table (rows of cells,
    each with the address of the records behind it) and the series a chart draws. ``None``
    when none of its metrics is registered yet."""
    from opsdesk.core.tickets.registry import ticket_types

    if panel.source:
        return {"panel": panel, "source": _source(panel, filters, viewer)}
    known = [key for key in panel.metrics if key in {m.key for m in metrics.all_metrics()}]
    if not known:
        return None
    scope = filters.with_(**panel.fixed, group_by=panel.group_by)
    found_metrics = [metrics.metric(key) for key in known]
    data: dict = {"panel": panel, "metrics": found_metrics, "filters": scope, "refused": []}
    if not panel.group_by and panel.chart in ("number", "gauge"):
        data["cards"] = []
        for found in found_metrics:
            try:
                data["cards"].append(_card(found, scope, compare=panel.compare, viewer=viewer))
            except FilterError as refused:
                data["refused"].append(_refusal(found, refused))
        data["table"] = _card_table(data["cards"])
        return data
    try:
        if panel.split:
            table = _split_table(found_metrics[0], scope, panel.split, viewer, ticket_types())
        else:
            table = _grouped_table(found_metrics, scope, viewer)
    except FilterError as refused:
        # A metric that cannot honour these filters says why; the rest of the page stands.
        data["refused"] = [_refusal(found, refused) for found in found_metrics[:1]]
        return data
    data["table"] = table
    data["chart"] = _chart(panel, table)
    return data


def _refusal(found, refused: FilterError) -> str:
    reasons = " ".join(message for messages in refused.errors.values() for message in messages)
    return f"{found.label}: {reasons}"


def _card(found, filters: Filters, *, compare: bool, viewer) -> dict:
    result = metric_result(key=found.key, filters=filters.with_(group_by=""), viewer=viewer)
    column = found.headline if found.headline in result.total else found.columns[0][0]
    value = result.total.get(column)
    card = {
        "metric": found,
        "result": result,
        "column": column,
        "value": value,
        "target": found.target,
        "href": _records_href(found.key, filters.with_(group_by="")),
    }
    if compare:
        before = metric_result(
            key=found.key, filters=filters.with_(group_by="").previous(), viewer=viewer
        )
        previous = before.total.get(column)
        card["previous"] = previous
        card["trend"] = _trend(found, value, previous)
    if found.target is not None and value is not None:
        card["on_target"] = (
            value >= found.target if found.better == "higher" else value <= found.target
        )
    return card


def _trend(found, value, previous) -> dict | None:
    """How a figure moved against the period before, and whether that is better."""
    if value is None or previous is None:
        return None
    change = value - previous
    if change == 0:
        return {"direction": "same", "better": None, "change": 0.0, "ratio": None}
    better = (change > 0) == (found.better == "higher")
    ratio = change / previous if previous else None
    return {
        "direction": "up" if change > 0 else "down",
        "better": better,
        "change": change,
        "ratio": ratio,
    }


def _card_table(cards: list[dict]) -> dict:
    """The cards as one table: a row per metric, its headline value."""
    rows = [
        {
            "group": card["metric"].key,
            "label": card["metric"].label,
            "cells": [_cell(card["metric"], card["column"], card["value"], card["href"])],
        }
        for card in cards
    ]
    return {"headers": ["Metric", "Value"], "rows": rows, "total": None}


def _grouped_table(found_metrics: list, filters: Filters, viewer) -> dict:
    """Rows per group, a column per (metric, column); a single metric shows all its columns."""
    alone = len(found_metrics) == 1
    columns = []
    results = []
    for found in found_metrics:
        result = metric_result(key=found.key, filters=filters, viewer=viewer)
        results.append(result)
        for column, label in found.columns if alone else _headline_columns(found):
            columns.append((found, column, label if alone else found.label))
    groups: dict = {}
    for result in results:
        for row in result.rows:
            groups.setdefault(row["group"], row["label"])
    by_metric = {r.metric.key: {row["group"]: row for row in r.rows} for r in results}
    totals = {r.metric.key: r.total for r in results}
    rows = []
    for group, label in groups.items():
        cells = []
        for found, column, _ in columns:
            row = by_metric[found.key].get(group) or {}
            cells.append(
                _cell(
                    found,
                    column,
                    row.get(column),
                    _records_href(
                        found.key,
                        filters,
                        str(group) if group is not None else "",
                        bucket=column if column in BUCKET_KEYS else "",
                    ),
                )
            )
        rows.append({"group": group, "label": label, "cells": cells})
    total = {
        "label": "All",
        "cells": [
            _cell(
                found,
                column,
                totals[found.key].get(column),
                _records_href(found.key, filters, bucket=column if column in BUCKET_KEYS else ""),
            )
            for found, column, _ in columns
        ],
    }
    headers = [GROUPINGS.get(filters.group_by, "Group")] + [label for _, _, label in columns]
    return {
        "headers": headers,
        "rows": rows,
        "total": total,
        "series": columns,
    }


def _split_table(found, filters: Filters, split: str, viewer, types) -> dict:
    """One metric per group, a column per value of ``split`` (record type): stacked volumes."""
    column = found.headline if found.headline in dict(found.columns) else found.columns[0][0]
    choices = [(tt.key, tt.label) for tt in types] if split == "record_type" else []
    if filters.record_type:
        choices = [(k, v) for k, v in choices if k == filters.record_type]
    series = []
    groups: dict = {}
    for value, label in choices:
        scoped = filters.with_(**{split: value})
        result = metric_result(key=found.key, filters=scoped, viewer=viewer)
        if not result.total.get(column):
            continue
        series.append(
            (value, label, scoped, {row["group"]: row for row in result.rows}, result.total)
        )
        for row in result.rows:
            groups.setdefault(row["group"], row["label"])
    rows = []
    for group in sorted(groups, key=lambda g: (g is None, str(g))):
        cells = [
            _cell(
                found,
                column,
                rowmap.get(group, {}).get(column),
                _records_href(found.key, scoped, "" if group is None else str(group)),
            )
            for _, _, scoped, rowmap, _ in series
        ]
        rows.append({"group": group, "label": groups[group], "cells": cells})
    total = {
        "label": "All",
        "cells": [
            _cell(found, column, tot.get(column), _records_href(found.key, scoped))
            for _, _, scoped, _, tot in series
        ],
    }
    headers = [GROUPINGS.get(filters.group_by, "Group")] + [label for _, label, *_ in series]
    return {
        "headers": headers,
        "rows": rows,
        "total": total,
        "series": [(found, column, label) for _, label, *_ in series],
    }


# The columns a chart draws of each kind: durations as mean, median and p90 (their record
# count stays in the table), ratios as the rate, counts as the count.
CHART_COLUMNS = {"duration": ("mean", "median", "p90"), "ratio": ("value",), "count": ("count",)}


def _chart(panel, table: dict) -> dict:
    """The series a chart draws (JSON for dashboards.js): labels, and per series its values,
    kind (how to read them on hover) and the records each point leads to."""
    datasets = []
    for index, (found, column, label) in enumerate(table["series"]):
        if column not in (panel.columns or CHART_COLUMNS[found.kind]):
            continue
        datasets.append(
            {
                "label": label,
                "kind": found.kind,
                "data": [row["cells"][index]["value"] for row in table["rows"]],
                "links": [row["cells"][index]["href"] for row in table["rows"]],
            }
        )
    return {
        "type": panel.chart,
        "labels": [row["label"] for row in table["rows"]],
        "datasets": datasets,
    }


def _source(panel, filters: Filters, viewer):
    match panel.source:
        case "heatmap":
            return incident_heatmap(filters=filters, viewer=viewer)
        case "breaching_soon":
            return breaching_soon(filters=filters, viewer=viewer)
        case "major_incidents":
            return major_incidents(filters=filters, viewer=viewer)
        case "alerts":
            return alert_counts(filters=filters, viewer=viewer)
        case "heartbeats":
            return heartbeat_status(viewer=viewer)
        case "maintenance":
            return maintenance_windows(viewer=viewer)
    raise LookupError(panel.source)


def dashboard_data(*, board, filters: Filters, viewer) -> list[dict]:
    """Every panel of ``board`` that has something to show, in its order."""
    require_reports(viewer)
    panels = [panel_data(panel=panel, filters=filters, viewer=viewer) for panel in board.panels]
    return [panel for panel in panels if panel is not None]
