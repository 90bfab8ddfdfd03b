"""Reads of reporting: metric figures and the records behind them, for those who may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qsl

from django.db.models import QuerySet

from opsdesk.core.roles import is_admin, is_agent
from opsdesk.reporting import metrics
from opsdesk.reporting.metrics import Filters, Result
from opsdesk.reporting.models import ImprovementAction, RecordFact


def may_see_reports(viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False) and is_agent(viewer))


def metric_result(*, key: str, filters: Filters, viewer) -> Result:
    if not may_see_reports(viewer):
        raise PermissionError("Reports are for the IT team.")
    return metrics.compute(key, filters)


def metric_records(*, key: str, filters: Filters, viewer, group: str | None = None) -> QuerySet:
    """The fact rows behind a number (one group's, when given), newest first; confidential
    records only for administrators."""
    if not may_see_reports(viewer):
        return RecordFact.objects.none()
    found = metrics.metric(key)
    if found.records is None:
        return RecordFact.objects.none()
    qs = found.records(filters.narrow(group) if group else filters)
    if not is_admin(viewer):
        qs = qs.exclude(confidential=True)
    return qs.order_by("-opened_at", "-id")


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
