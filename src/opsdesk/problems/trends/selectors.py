"""Reads of trend detection: the incidents a run looks at, and the candidates for the desk."""

from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet

from opsdesk.core.roles import is_agent
from opsdesk.incidents.models import Incident
from opsdesk.problems.models import CandidateState, ProblemCandidate
from opsdesk.problems.trends.detect import Sighting
from opsdesk.problems.workflow import OPEN

# How much of a description counts: the first lines say what failed; the rest is history.
DESCRIPTION_CHARS = 500


def sightings_in_window(*, now: datetime, days: int) -> list[Sighting]:
    """The incidents opened in the last ``days`` that may be part of a trend.

    Left out: incidents already linked to an open problem (someone is on it), duplicates
    merged into another incident and the children of a parent incident (their original or
    parent stands for them: one failure, counted once; an alert storm deduplicated into one
    incident is that one incident), and confidential ones (their words would show on the
    candidate).
    """
    rows = (
        Incident.objects.filter(opened_at__gte=now - timedelta(days=days), opened_at__lte=now)
        .filter(duplicate_of__isnull=True, parent__isnull=True, confidential=False)
        .exclude(problem_links__problem__state__in=list(OPEN))
        .values_list(
            "pk",
            "short_description",
            "description",
            "opened_at",
            "service_id",
            "ci_id",
            "subcategory_id",
            "category_id",
        )
        .order_by()
    )
    sightings = []
    for pk, title, description, opened_at, service, ci, subcategory, category in rows.iterator(
        chunk_size=5000
    ):
        sightings.append(
            Sighting(
                id=pk,
                text=f"{title}\n{(description or '')[:DESCRIPTION_CHARS]}",
                opened_at=opened_at,
                service_id=service,
                ci_id=ci,
                # The subcategory when there is one: "Printer" says more than "Hardware".
                category_id=subcategory or category,
            )
        )
    return sightings


def candidate_list(*, viewer, state: str = CandidateState.OPEN) -> QuerySet[ProblemCandidate]:
    """The candidates the desk decides on, most recently seen first; agents only."""
    qs = ProblemCandidate.objects.filter(state=state).select_related("problem", "decided_by")
    if not is_agent(viewer):
        return qs.none()
    return qs.prefetch_related(
        Prefetch("incidents", queryset=Incident.objects.order_by("opened_at", "pk")),
        "services",
        "cis",
        "categories",
    )


def dismissed_covering(incident_ids: set[int]) -> bool:
    """Whether a dismissed candidate already held all these incidents (the desk said no)."""
    through = ProblemCandidate.incidents.through
    holders: dict[int, set[int]] = {}
    for candidate_id, incident_id in through.objects.filter(
        problemcandidate__state=CandidateState.DISMISSED, incident_id__in=incident_ids
    ).values_list("problemcandidate_id", "incident_id"):
        holders.setdefault(candidate_id, set()).add(incident_id)
    return any(held >= incident_ids for held in holders.values())


def open_candidates_touching(incident_ids: set[int]) -> list[ProblemCandidate]:
    """Open candidates sharing an incident with a new finding: the same trend, grown."""
    return list(
        ProblemCandidate.objects.filter(
            state=CandidateState.OPEN, incidents__in=incident_ids
        ).distinct()
    )
