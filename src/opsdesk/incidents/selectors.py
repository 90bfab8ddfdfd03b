"""Reads of incidents, filtered by what the asking user may see, and the workspace queues."""

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from opsdesk.core.roles import is_admin, is_agent
from opsdesk.core.tickets import queues
from opsdesk.core.timeline import timeline_for
from opsdesk.incidents.models import (
    OPEN_STATES,
    AssignmentRule,
    Category,
    Incident,
    PriorityMatrixRow,
    ResolutionCode,
)
from opsdesk.sla.selectors import sla_breaching_soon

LIST_RELATED = ("caller", "assignee", "assignment_group", "category", "service", "ci")


def _watching(viewer) -> QuerySet:
    return Incident.watchers.through.objects.filter(user_id=viewer.pk).values("incident_id")


def incident_list(*, viewer) -> QuerySet[Incident]:
    """Requesters: what they called in or watch. Agents: everything but confidential incidents
    outside their groups."""
    qs = Incident.objects.select_related(*LIST_RELATED)
    if not getattr(viewer, "is_authenticated", False) or not viewer.is_active:
        return qs.none()
    if is_admin(viewer):
        return qs
    # Watching opens only non-confidential incidents (see Incident.is_visible_to).
    own = Q(caller=viewer) | Q(assignee=viewer) | Q(requested_for=viewer)
    watched = Q(confidential=False, pk__in=_watching(viewer))
    if not is_agent(viewer):
        return qs.filter(own | watched)
    my_groups = viewer.teams.values("pk")
    return qs.filter(Q(confidential=False) | Q(assignment_group__in=my_groups) | own)


# "Breaching soon": a running clock due within this window, or already overdue.
BREACHING_WINDOW = timedelta(hours=4)

QUEUES = {
    # Not "My work": that is the page across every record type (servicedesk), not this queue.
    "mine": "Assigned to me",
    "unassigned": "My teams' unassigned",
    "open": "All open",
    "breaching": "Breaching soon",
    "major": "Major incidents",
}


def incident_queue(*, viewer, queue: str, states=None) -> QuerySet[Incident]:
    """The queue's incidents in ``states`` (default: the open ones).

    Asking for a finished state (resolved, closed, cancelled) shows finished work of the queue;
    breaching soon only ever holds open incidents.
    """
    qs = incident_list(viewer=viewer)
    states = list(states) if states else list(OPEN_STATES)
    if queue == "mine":
        return qs.filter(assignee=viewer, state__in=states)
    if queue == "unassigned":
        return qs.filter(
            assignment_group__in=viewer.teams.values("pk"),
            assignee__isnull=True,
            state__in=states,
        )
    if queue == "major":
        return qs.filter(Q(is_major=True) | Q(major_proposed=True), state__in=states)
    if queue == "breaching":
        return sla_breaching_soon(
            queryset=qs.filter(state__in=[s for s in states if s in OPEN_STATES]),
            within=BREACHING_WINDOW,
            now=timezone.now(),
        )
    return qs.filter(state__in=states)


# Past this many parts, one query with IN beats many small ones.
MAX_QUEUE_PARTS = 12


def _queue_parts(*, viewer, queue: str, states=None) -> list[dict] | None:
    states = [str(s) for s in (states or OPEN_STATES)]
    if queue == "open":
        return [{"state": s} for s in states]
    if queue == "mine":
        return [{"assignee_id": viewer.pk, "state": s} for s in states]
    if queue == "unassigned":
        groups = list(viewer.teams.values_list("pk", flat=True))
        parts = [
            {"assignment_group_id": g, "assignee_id": None, "state": s}
            for g in groups
            for s in states
        ]
        return parts if 0 < len(parts) <= MAX_QUEUE_PARTS else None
    return None


def incident_queue_paged(
    *, viewer, queue: str, states=None
) -> tuple[QuerySet[Incident], list[dict] | None]:
    """``incident_queue`` as (visible incidents, disjoint parts) when the queue splits into
    parts that one index each serves in order; else (the queue, None).

    Paging then reads each part from its index ("state" -> inc_state_opened, "assignee and
    state" -> inc_assignee, "group, no assignee, state" -> inc_group_state) instead of one
    "state IN (...)" scan, so a deep page costs what the first does. The parts together are
    exactly what ``incident_queue`` selects.
    """
    parts = _queue_parts(viewer=viewer, queue=queue, states=states)
    if parts is None:
        return incident_queue(viewer=viewer, queue=queue, states=states), None
    return incident_list(viewer=viewer), parts


def incident_timeline(*, viewer, incident: Incident):
    """Agents see work notes and system entries; everyone else the public conversation."""
    return timeline_for(record=incident, public_only=not is_agent(viewer))


def category_list() -> QuerySet[Category]:
    return Category.objects.select_related("parent")


def resolution_code_list() -> QuerySet[ResolutionCode]:
    return ResolutionCode.objects.all()


def priority_matrix() -> QuerySet[PriorityMatrixRow]:
    return PriorityMatrixRow.objects.all()


def assignment_rule_list() -> QuerySet[AssignmentRule]:
    return AssignmentRule.objects.select_related("assignment_group", "category", "service", "ci")


def saved_filter_list(*, viewer):
    """An agent's own saved incident filters; nobody sees anyone else's."""
    return queues.saved_filter_list(viewer=viewer, record_type="incident")


# --- what the portal's service status and a service owner read --------------------------------
def open_major_incidents() -> QuerySet[Incident]:
    """Open major incidents anyone may hear of (confidential ones stay out)."""
    return Incident.objects.filter(is_major=True, state__in=OPEN_STATES, confidential=False)


def _on_service(service) -> QuerySet[Incident]:
    # Confidential incidents stay out: the owner sees the service's health, not HR cases.
    return (
        Incident.objects.filter(Q(service=service) | Q(affected_services=service))
        .filter(confidential=False)
        .distinct()
    )


def service_incidents_open(*, service) -> QuerySet[Incident]:
    """Open incidents on ``service`` (directly or affected), most urgent first."""
    return _on_service(service).filter(state__in=OPEN_STATES).order_by("priority", "-opened_at")


def service_majors_since(*, service, since) -> QuerySet[Incident]:
    """Major incidents on ``service`` open now, or resolved or ended since ``since``."""
    return _on_service(service).filter(
        Q(is_major=True),
        Q(state__in=OPEN_STATES) | Q(resolved_at__gte=since) | Q(outage_end__gte=since),
    )
