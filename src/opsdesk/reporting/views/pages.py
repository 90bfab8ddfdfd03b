"""The reports home: every metric over the chosen period, with how it is computed."""

from django.shortcuts import render

from opsdesk.core.views.generic import agent_required
from opsdesk.reporting import metrics
from opsdesk.reporting.metrics import FilterError, Filters
from opsdesk.reporting.selectors import metric_result


@agent_required
def home(request):
    try:
        filters = Filters.from_query(request.GET)
        errors = {}
    except FilterError as exc:
        filters, errors = Filters.default(), exc.errors
    results = [
        metric_result(key=found.key, filters=filters, viewer=request.user)
        for found in metrics.all_metrics()
    ]
    return render(
        request,
        "reporting/home.html",
        {"filters": filters, "errors": errors, "results": results},
        status=400 if errors else 200,
    )
