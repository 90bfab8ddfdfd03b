"""The console's live alert list and one alert's page, where operators act on it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.models import Team
from opsdesk.core.views.generic import (
    agent_required,
)
from opsdesk.events import selectors, services
from opsdesk.events.models import AlertStatus, Severity

FILTERS = ("status", "severity", "team", "service")


def _filtered_alerts(request):
    qs = selectors.alert_list(viewer=request.user)
    status = request.GET.get("status", "active")
    if status == "active":
        qs = qs.exclude(status=AlertStatus.RESOLVED)
    elif status in AlertStatus.values:
        qs = qs.filter(status=status)
    if (severity := request.GET.get("severity")) in Severity.values:
        qs = qs.filter(severity=severity)
    if (team := request.GET.get("team", "")).isdigit():
        qs = qs.filter(team_id=int(team))
    if service := request.GET.get("service", "").strip():
        qs = qs.filter(service__name__icontains=service)
    return qs


@agent_required
def console(request):
    page_obj = Paginator(_filtered_alerts(request), 50).get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "alerts": page_obj.object_list,
        "statuses": AlertStatus.choices,
        "severities": Severity.choices,
        "teams": Team.objects.order_by("name"),
        "current": {name: request.GET.get(name, "") for name in FILTERS},
        "query": request.GET.urlencode(),
    }
    if getattr(request, "htmx", None):
        return render(request, "events/_alert_rows.html", context)
    return render(request, "events/console.html", context)


@agent_required
def alert_detail(request, pk):
    alert = get_object_or_404(selectors.alert_list(viewer=request.user), pk=pk)
    link = alert.incident_links.select_related("incident").first()
    return render(
        request,
        "events/alert_detail.html",
        {
            "alert": alert,
            "incident": link.incident if link else None,
            "link": link,
            "events": alert.events.order_by("-id")[:100],
            "history": selectors.alert_history(alert=alert),
        },
    )


@agent_required
@require_POST
def alert_act(request, pk):
    alert = get_object_or_404(selectors.alert_list(viewer=request.user), pk=pk)
    try:
        services.alert_act(actor=request.user, alert=alert, action=request.POST.get("action", ""))
    except NotPermitted as error:
        raise PermissionDenied(error.message) from None
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(reverse("events:alert-detail", args=[alert.pk]))
