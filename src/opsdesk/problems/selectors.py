"""Reads of problem management, for the desk only: requesters see published workarounds."""

from datetime import timedelta

from django.db.models import QuerySet

from opsdesk.core.roles import is_agent
from opsdesk.incidents.models import OPEN_STATES as INCIDENT_OPEN
from opsdesk.incidents.models import Incident
from opsdesk.problems.models import (
    KNOWN_ERROR_STATES,
    Problem,
    ProblemIncident,
    ProblemState,
    Recurrence,
)
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


# An incident like a fixed known error, opened this long after the fix, is a recurrence.
RECURRENCE_WINDOW = timedelta(days=30)
SUGGESTIONS = 5
SAME_PLACE_BONUS = 1.0  # a known error on the same service or CI outranks words alone


def known_errors_on_services(*, viewer, service_ids=None, limit: int = 10) -> list[Problem]:
    """Open known errors on these services (every service when None), newest first: what the
    portal's service status says "we know about". Requesters get only the ones whose
    workaround they may apply themselves; a fixed known error is no longer news."""
    if not getattr(viewer, "is_authenticated", False):
        return []
    qs = Problem.objects.filter(
        state__in=[ProblemState.KNOWN_ERROR, ProblemState.FIX_IN_PROGRESS], fixed_at__isnull=True
    )
    if not is_agent(viewer):
        qs = qs.filter(workaround_public=True)
    if service_ids is not None:
        qs = qs.filter(services__in=list(service_ids))
    return list(qs.prefetch_related("services__ci_class").distinct().order_by("-opened_at")[:limit])


def known_error_suggestions(
    *, viewer, text: str = "", service_id=None, ci_id=None, limit: int = SUGGESTIONS
) -> list[Problem]:
    """Known errors that may explain what is described: ranked by the words (any of them),
    lifted when on the same service or CI, newest first among equals. Requesters get only
    the ones whose workaround they may apply themselves."""
    if not getattr(viewer, "is_authenticated", False):
        return []
    qs = Problem.objects.filter(state__in=list(KNOWN_ERROR_STATES))
    if not is_agent(viewer):
        qs = qs.filter(workaround_public=True)
    return _ranked(qs, text=text, service_id=service_id, ci_id=ci_id, limit=limit)


def _ranked(
    qs: QuerySet[Problem], *, text: str, service_id, ci_id, limit: int, both: bool = False
) -> list[Problem]:
    """``qs`` ranked by the words and lifted on the same service or CI; ``both`` keeps only
    those matching the words and on the same service or CI."""
    from django.db.models import Q

    from opsdesk.core.search import ranked

    words: dict[int, float] = {
        pk: float(score) for pk, score in ranked("problem", qs, text, any_word=True)
    }
    scores = dict(words)
    place = Q()
    if service_id:
        place |= Q(services=service_id)
    if ci_id:
        place |= Q(cis=ci_id)
    same_place: set[int] = set()
    if place:
        same_place = set(qs.filter(place).values_list("pk", flat=True).distinct()[:200])
        for pk in same_place:
            scores[pk] = scores.get(pk, 0.0) + SAME_PLACE_BONUS
    if both:
        scores = {pk: score for pk, score in scores.items() if pk in words and pk in same_place}
    if not scores:
        return []
    found = Problem.objects.in_bulk(list(scores))
    best = sorted(found.values(), key=lambda p: (-scores[p.pk], -p.opened_at.timestamp()))
    return best[:limit]


def recurrence_matches(*, incident: Incident) -> list[Problem]:
    """Known errors a new incident looks like that were fixed within the recurrence window
    before it opened: on the same service or CI, and matching its words (the intake
    suggestions' ranking). For the system, which reads every known error."""
    opened = incident.opened_at
    fixed = Problem.objects.filter(
        fixed_at__gte=opened - RECURRENCE_WINDOW, fixed_at__lte=opened
    ).exclude(state=ProblemState.CANCELLED)
    if not fixed.exists():
        return []  # most incidents open with no fix in the window: no text search at all
    return _ranked(
        fixed,
        text=f"{incident.short_description} {incident.description}",
        service_id=incident.service_id,
        ci_id=incident.ci_id,
        limit=SUGGESTIONS,
        both=True,
    )


def recurrences_of(problem: Problem) -> QuerySet[Recurrence]:
    return problem.recurrences.select_related("incident", "incident__caller")


def open_incident_count(problem: Problem) -> int:
    return problem.incident_links.filter(incident__state__in=list(INCIDENT_OPEN)).count()


def kedb(*, viewer) -> QuerySet[Problem]:
    """The known-error database: known errors in use and those since fixed."""
    from django.db.models import Q

    return (
        problem_list(viewer=viewer)
        .filter(Q(state__in=list(KNOWN_ERROR_STATES)) | Q(fixed_at__isnull=False))
        .exclude(state=ProblemState.CANCELLED)
        .prefetch_related("services")
        .order_by("number")
    )


# Before the root cause is found: where the time-to-root-cause clock still runs.
BEFORE_ROOT_CAUSE = (ProblemState.NEW, ProblemState.ASSESSED, ProblemState.ROOT_CAUSE_ANALYSIS)


def overdue_root_cause(queryset: QuerySet[Problem], *, now) -> QuerySet[Problem]:
    """Problems whose time to root cause (the response clock) has run out, cause not found."""
    from django.db.models import CharField, Q
    from django.db.models.functions import Cast

    from opsdesk.sla.models import SlaTimer, TimerKind, TimerState

    breached = (
        SlaTimer.objects.filter(record_type="problem", kind=TimerKind.RESPONSE)
        .filter(
            Q(breached_at__isnull=False)
            | Q(state=TimerState.RUNNING, due_at__isnull=False, due_at__lte=now)
        )
        .exclude(state=TimerState.CANCELLED)
        .values("object_id")
    )
    return (
        queryset.filter(state__in=list(BEFORE_ROOT_CAUSE))
        .annotate(pk_text=Cast("pk", CharField()))
        .filter(pk_text__in=breached)
    )
