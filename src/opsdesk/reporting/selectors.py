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
