"""Trend pages: the candidates trend detection found, with their evidence; looking for trends
now; accepting a candidate as a problem or dismissing it. Every write goes through the
services."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.views.generic import agent_required, list_page
from opsdesk.problems.models import CandidateState
from opsdesk.problems.trends import selectors, services
from opsdesk.problems.trends.detect import TrendSettings

# The states the page lists, by their labels.
SHOWN = {
    CandidateState.OPEN: "To decide",
    CandidateState.ACCEPTED: "Accepted",
    CandidateState.DISMISSED: "Dismissed",
}
PAGE_SIZE = 20
MAX_WINDOW_DAYS = 365


@agent_required
def candidates(request):
    state = request.GET.get("state", CandidateState.OPEN)
    if state not in SHOWN:
        state = CandidateState.OPEN
    return list_page(
        request,
        queryset=selectors.candidate_list(viewer=request.user, state=state),
        filter_form=None,
        template="problems/trends.html",
        rows_template="problems/_trend_rows.html",
        per_page=PAGE_SIZE,
        extra={
            "states": SHOWN,
            "state": state,
            "window_days": settings.OPSDESK_TREND_WINDOW_DAYS,
            "max_window_days": MAX_WINDOW_DAYS,
        },
    )


def _refused(refusal):
    if isinstance(refusal, NotPermitted):
        raise PermissionDenied(refusal.message) from None


@agent_required
@require_POST
def look(request):
    """Look for trends now, over the window asked for (the configured one by default)."""
    raw = request.POST.get("days", "").strip() or str(settings.OPSDESK_TREND_WINDOW_DAYS)
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_WINDOW_DAYS:
        messages.error(request, f"Give the window as a number of days, 1 to {MAX_WINDOW_DAYS}.")
        return redirect("problems:trends")
    try:
        run = services.trend_detect(
            actor=request.user, settings=TrendSettings(window_days=int(raw))
        )
    except DomainError as refusal:
        _refused(refusal)
        messages.error(request, refusal.message)
        return redirect("problems:trends")
    found, updated = len(run.found), len(run.updated)
    if found or updated:
        messages.success(
            request,
            f"Looked at {run.looked_at} incidents of the last {raw} days: "
            f"{found} new trend{'s' if found != 1 else ''}, {updated} grown.",
        )
    else:
        messages.info(
            request, f"Looked at {run.looked_at} incidents of the last {raw} days: nothing new."
        )
    return redirect("problems:trends")


def _candidate(request, pk):
    return get_object_or_404(
        selectors.candidate_list(viewer=request.user, state=CandidateState.OPEN), pk=pk
    )


@agent_required
@require_POST
def accept(request, pk):
    candidate = _candidate(request, pk)
    try:
        problem = services.candidate_accept(
            actor=request.user,
            candidate=candidate,
            expected_version=_version(request),
            title=request.POST.get("title", "")[:200],
        )
    except DomainError as refusal:
        _refused(refusal)
        messages.error(request, refusal.message)
        return redirect("problems:trends")
    messages.success(
        request, f"Problem {problem.number} is raised with {problem.incident_count} incidents."
    )
    return redirect("problems:detail", number=problem.number)


@agent_required
@require_POST
def dismiss(request, pk):
    candidate = _candidate(request, pk)
    try:
        services.candidate_dismiss(
            actor=request.user,
            candidate=candidate,
            expected_version=_version(request),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as refusal:
        _refused(refusal)
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, "Dismissed: these incidents will not be offered as a trend again."
        )
    return redirect("problems:trends")


def _version(request):
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None
