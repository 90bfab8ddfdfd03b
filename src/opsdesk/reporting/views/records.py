"""The records behind a number: the drill-down of every figure on a dashboard."""

from django.core.paginator import Paginator
from django.shortcuts import render

from opsdesk.core.views.generic import agent_required
from opsdesk.reporting import metrics
from opsdesk.reporting.dashboards import all_dashboards
from opsdesk.reporting.metrics.base import GROUPINGS
from opsdesk.reporting.models import AGE_BUCKETS
from opsdesk.reporting.selectors import WEEKDAYS, metric_records, metric_result
from opsdesk.reporting.views.exports import record_rows, records_csv
from opsdesk.reporting.views.filters import filter_context, read_filters

PAGE_SIZE = 50
BUCKET_LABELS = {key: label for key, label, *_ in AGE_BUCKETS}


def _cell_filter(query, errors: dict) -> dict:
    """``weekday`` (1–7) and ``hour`` (0–23): one cell of the heat map."""
    found = {}
    for name, low, high in (("weekday", 1, 7), ("hour", 0, 23)):
        text = (query.get(name) or "").strip()
        if not text:
            continue
        if not text.isdigit() or not low <= int(text) <= high:
            errors[name] = [f"Choose a whole number from {low} to {high}."]
        else:
            found[name] = int(text)
    return found


@agent_required
def records(request):
    key = (request.GET.get("metric") or "").strip()
    known = {found.key for found in metrics.all_metrics()}
    filters, errors = read_filters(request.GET)
    errors = dict(errors)
    if key not in known:
        errors["metric"] = ["Choose one of the metrics."]
    group_by = (request.GET.get("group_by") or "").strip()
    group = request.GET.get("group")
    group = None if group is None or not group_by else group.strip()
    if group_by and group_by not in GROUPINGS:
        errors["group_by"] = ["Choose one of the groupings."]
    cell = _cell_filter(request.GET, errors)
    bucket = (request.GET.get("bucket") or "").strip()
    if bucket and bucket not in BUCKET_LABELS:
        errors["bucket"] = ["Choose one of the age buckets."]
    elif bucket:
        cell["bucket"] = bucket
    context: dict = {"dashboards": all_dashboards(), "metric": None, "page_obj": None}
    narrowed = filters
    if not errors:
        filters = filters.with_(group_by=group_by)
        try:
            narrowed = filters.narrow(group) if group else filters.with_(group_by="")
        except ValueError:
            errors["group"] = ["This group does not belong to the grouping."]
    if errors:
        context.update(filter_context(request.GET, filters, errors))
        return render(request, "reporting/records.html", context, status=400)
    found = metrics.metric(key)
    qs = metric_records(key=key, filters=filters, viewer=request.user, group=group, **cell)
    if request.GET.get("format") == "csv":
        return records_csv(found, qs, filters=narrowed)
    figure, group_label = _figure(found, filters, group, request.user)
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    where = []
    if "weekday" in cell:
        where.append(WEEKDAYS[cell["weekday"] - 1])
    if "hour" in cell:
        where.append(f"{cell['hour']:02}:00–{cell['hour']:02}:59")
    if "bucket" in cell:
        where.append(f"open for {BUCKET_LABELS[cell['bucket']].lower()}")
    keep = request.GET.copy()
    keep.pop("page", None)
    keep.pop("format", None)
    context.update(filter_context(request.GET, narrowed, {}))
    context.update(
        {
            "metric": found,
            "figure": figure,
            "group_label": group_label,
            "cell": ", ".join(where),
            "page_obj": page_obj,
            "rows": record_rows(page_obj.object_list, narrowed),
            "keep": keep.urlencode(),
            "count": page_obj.paginator.count,
        }
    )
    return render(request, "reporting/records.html", context)


def _figure(found, filters, group, viewer) -> tuple[dict, str]:
    """The figures the records stand behind: the dashboard's row of ``group`` (the total
    when none), and the group's label."""
    if group is None:
        result = metric_result(key=found.key, filters=filters.with_(group_by=""), viewer=viewer)
        return {"result": result, "row": result.total}, ""
    result = metric_result(key=found.key, filters=filters, viewer=viewer)
    for row in result.rows:
        if ("" if row["group"] is None else str(row["group"])) == group:
            return {"result": result, "row": row}, f"{GROUPINGS[filters.group_by]}: {row['label']}"
    return {"result": result, "row": {}}, f"{GROUPINGS[filters.group_by]}: {group}"
