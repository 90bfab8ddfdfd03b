"""Reads of problem management, for the desk only: requesters see published workarounds."""

from datetime import datetime, timedelta

from django.db import connection
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

    # Each candidate's opening time comes with it where the query can bring it: only the few
    # shown are read whole (their texts are long).
    opened: dict[int, datetime] = {}
    if connection.vendor == "postgresql":
        by_words = _ranked_on_postgres(qs, text)
        scores = {pk: float(score) for pk, score, _ in by_words}
        opened.update((pk, at) for pk, _, at in by_words)
    else:
        scores = {pk: float(score) for pk, score in ranked("problem", qs, text, any_word=True)}
    words = set(scores)
    # Subqueries on the link tables rather than joins: joining both kinds of links to every
    # known error and de-duplicating took five times as long.
    place = Q()
    if service_id:
        on_service = Problem.services.through.objects.filter(configurationitem_id=service_id)
        place |= Q(pk__in=on_service.values("problem_id"))
    if ci_id:
        on_ci = Problem.cis.through.objects.filter(configurationitem_id=ci_id)
        place |= Q(pk__in=on_ci.values("problem_id"))
    same_place: set[int] = set()
    if place:
        same = qs.filter(place).order_by("-opened_at", "-pk")
        for pk, at in same.values_list("pk", "opened_at")[:200]:
            scores[pk] = scores.get(pk, 0.0) + SAME_PLACE_BONUS
            opened[pk] = at
            same_place.add(pk)
    if both:
        scores = {pk: score for pk, score in scores.items() if pk in words and pk in same_place}
    if not scores:
        return []
    # Only candidates scoring at least the last one shown can be shown; the opening time
    # breaks their ties, so only theirs is needed, and read with the records themselves.
    by_score = sorted(scores, key=lambda pk: -scores[pk])
    cutoff = scores[by_score[min(limit, len(by_score)) - 1]]
    contenders = [pk for pk in by_score if scores[pk] >= cutoff]
    found = Problem.objects.in_bulk([pk for pk in contenders if pk not in opened])
    opened.update((pk, problem.opened_at) for pk, problem in found.items())
    best = sorted(contenders, key=lambda pk: (-scores[pk], -opened[pk].timestamp(), -pk))[:limit]
    if unread := [pk for pk in best if pk not in found]:
        found.update(Problem.objects.in_bulk(unread))
    return [found[pk] for pk in best if pk in found]


def _ranked_on_postgres(qs: QuerySet[Problem], text: str) -> list[tuple[int, float, datetime]]:
    """(pk, score, opened at) of the rows of ``qs`` matching any word of ``text``, best first:
    global search's ranking (same fields, weights and stemming), over the vector migration
    0005 stores, since ranking thousands of partial matches from the texts is slow."""
    from django.db.models import BooleanField, FloatField
    from django.db.models.expressions import RawSQL

    from opsdesk.core.search import MAX_HITS, PG_CONFIG, search_terms

    terms = search_terms(text)
    if not terms:
        return []
    query = "websearch_to_tsquery(%s::regconfig, %s)"
    params = [PG_CONFIG, " or ".join(terms)]
    column = f'"{Problem._meta.db_table}"."suggestion_vector"'
    return list(
        qs.order_by()
        .filter(RawSQL(f"{column} @@ {query}", params, output_field=BooleanField()))
        .annotate(rank=RawSQL(f"ts_rank({column}, {query})", params, output_field=FloatField()))
        .order_by("-rank", "-pk")
        .values_list("pk", "rank", "opened_at")[:MAX_HITS]
    )


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
