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


SUGGESTIONS = 5
SAME_PLACE_BONUS = 1.0  # a known error on the same service or CI outranks words alone


def known_error_suggestions(
    *, viewer, text: str = "", service_id=None, ci_id=None, limit: int = SUGGESTIONS
) -> list[Problem]:
    """Known errors that may explain what is described: ranked by the words (any of them),
    lifted when on the same service or CI, newest first among equals. Requesters get only
    the ones whose workaround they may apply themselves."""
    from django.db.models import Q

    from opsdesk.core.search import ranked

    if not getattr(viewer, "is_authenticated", False):
        return []
    qs = Problem.objects.filter(state__in=list(KNOWN_ERROR_STATES))
    if not is_agent(viewer):
        qs = qs.filter(workaround_public=True)
    scores: dict[int, float] = {
        pk: float(score) for pk, score in ranked("problem", qs, text, any_word=True)
    }
    place = Q()
    if service_id:
        place |= Q(services=service_id)
    if ci_id:
        place |= Q(cis=ci_id)
    if place:
        for pk in qs.filter(place).values_list("pk", flat=True).distinct()[:200]:
            scores[pk] = scores.get(pk, 0.0) + SAME_PLACE_BONUS
    if not scores:
        return []
    # Up to 400 candidates are ordered on their opening time alone; only the few shown are
    # read whole (their texts are long, and reading them all was most of the time taken).
    opened = Problem.objects.filter(pk__in=list(scores)).values_list("pk", "opened_at")
    best = sorted(opened, key=lambda row: (-scores[row[0]], -row[1].timestamp()))[:limit]
    found = Problem.objects.in_bulk([pk for pk, _ in best])
    return [found[pk] for pk, _ in best if pk in found]
