"""Reads of problem management, for the desk only: requesters see published workarounds."""

from django.db.models import QuerySet

from opsdesk.core.roles import is_agent
from opsdesk.incidents.models import Incident
from opsdesk.problems.models import KNOWN_ERROR_STATES, Problem, ProblemIncident
from opsdesk.problems.workflow import OPEN


def problem_list(*, viewer) -> QuerySet[Problem]:
    qs = Problem.objects.select_related(
        "assignment_group", "assignee", "problem_manager", "category"
    )
    if not is_agent(viewer):
        return qs.none()
    return qs


def links_of(problem: Problem) -> QuerySet[ProblemIncident]:
    return problem.incident_links.select_related(
        "incident", "incident__caller", "incident__assignment_group", "linked_by"
    )


def problems_of(incident: Incident) -> list[Problem]:
    """The problems an incident is linked to, open ones first."""
    problems = list(
        Problem.objects.filter(incident_links__incident=incident).order_by("-opened_at")
    )
    return sorted(problems, key=lambda p: p.state not in OPEN)


def known_errors(*, viewer) -> QuerySet[Problem]:
    return problem_list(viewer=viewer).filter(state__in=list(KNOWN_ERROR_STATES))
