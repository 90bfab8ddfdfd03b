"""Reads of problem management, for the desk only: requesters see published workarounds."""

from datetime import datetime

from django.db import connection
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
    # Each candidate's opening time comes with it where the query can bring it: only the few
    # shown are read whole (their texts are long).
    opened: dict[int, datetime] = {}
    if connection.vendor == "postgresql":
        by_words = _ranked_on_postgres(qs, text)
        scores = {pk: float(score) for pk, score, _ in by_words}
        opened.update((pk, at) for pk, _, at in by_words)
    else:
        scores = {pk: float(score) for pk, score in ranked("problem", qs, text, any_word=True)}
    # Subqueries on the link tables rather than joins: joining both kinds of links to every
    # known error and de-duplicating took five times as long.
    place = Q()
    if service_id:
        on_service = Problem.services.through.objects.filter(configurationitem_id=service_id)
        place |= Q(pk__in=on_service.values("problem_id"))
    if ci_id:
        on_ci = Problem.cis.through.objects.filter(configurationitem_id=ci_id)
        place |= Q(pk__in=on_ci.values("problem_id"))
    if place:
        same_place = qs.filter(place).order_by("-opened_at", "-pk")
        for pk, at in same_place.values_list("pk", "opened_at")[:200]:
            scores[pk] = scores.get(pk, 0.0) + SAME_PLACE_BONUS
            opened[pk] = at
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
