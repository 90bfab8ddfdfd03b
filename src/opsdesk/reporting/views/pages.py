"""The dashboards: an index of them, and each audience's page with its filters in the URL."""

from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import redirect, render

from opsdesk.core.views.generic import agent_required
from opsdesk.reporting.dashboards import DASHBOARDS, all_dashboards
from opsdesk.reporting.selectors import dashboard_data, viewer_team_id
from opsdesk.reporting.views.exports import dashboard_csv
from opsdesk.reporting.views.filters import filter_context, read_filters


@agent_required
def home(request):
    return render(request, "reporting/index.html", {"dashboards": all_dashboards()})


@agent_required
def dashboard(request, slug: str):
    board = DASHBOARDS.get(slug)
    if board is None:
        raise Http404("No such dashboard.")
    if board.own_team and "team" not in request.GET:
        team = viewer_team_id(request.user)
        if team is not None:
            return redirect(f"{request.path}?{urlencode({**request.GET.dict(), 'team': team})}")
    filters, errors = read_filters(request.GET)
    panels = dashboard_data(board=board, filters=filters, viewer=request.user)
    if request.GET.get("format") == "csv" and not errors:
        return dashboard_csv(board, panels, table=request.GET.get("table") or "")
    context = {
        "board": board,
        "dashboards": all_dashboards(),
        "panels": panels,
        **filter_context(request.GET, filters, errors),
    }
    return render(request, "reporting/dashboard.html", context, status=400 if errors else 200)
