"""Reads of reporting: metric figures and the records behind them, for those who may see."""

from __future__ import annotations

from django.db.models import QuerySet

from opsdesk.core.roles import is_admin, is_agent
from opsdesk.reporting import metrics
from opsdesk.reporting.metrics import Filters, Result
from opsdesk.reporting.models import RecordFact


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
