"""Reads for the portal: a requester's own tickets and the status of the services they use."""

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from opsdesk.incidents.models import OPEN_STATES, Incident
from opsdesk.incidents.selectors import incident_list
from opsdesk.servicedesk.models import Survey

# The services a person used recently are the ones they depend on.
DEPENDS_WINDOW = timedelta(days=180)


def my_tickets(*, viewer) -> QuerySet[Incident]:
    """What the viewer reported or watches, and nothing else, whatever their role."""
    if not getattr(viewer, "is_authenticated", False):
        return Incident.objects.none()
    watched = Incident.watchers.through.objects.filter(user_id=viewer.pk).values("incident_id")
    return Incident.objects.filter(Q(caller=viewer) | Q(pk__in=watched)).select_related(
        "assignment_group", "assignee"
    )


def portal_ticket(*, viewer, pk) -> Incident | None:
    """A ticket the viewer may see on the portal; None (answered as 404) for anything else."""
    return incident_list(viewer=viewer).filter(pk=pk).first() if pk else None


def services_used_by(*, viewer) -> set[int]:
    since = timezone.now() - DEPENDS_WINDOW
    mine = my_tickets(viewer=viewer).filter(opened_at__gte=since)
    ids = set(mine.exclude(service=None).values_list("service_id", flat=True))
    ids |= set(
        Incident.affected_services.through.objects.filter(incident__in=mine).values_list(
            "configurationitem_id", flat=True
        )
    )
    return ids


def service_status(*, viewer) -> list[dict]:
    """Open major incidents on business services the viewer depends on, one line per service.

    Someone with no history yet sees every open major incident: better told too much than
    left wondering why the service they just tried is down.
    """
    majors = Incident.objects.filter(is_major=True, state__in=OPEN_STATES, confidential=False)
    used = services_used_by(viewer=viewer)
    rows = []
    for incident in majors.prefetch_related("affected_services").order_by("-opened_at")[:20]:
        for service in incident.affected_services.all():
            if not used or service.pk in used:
                rows.append({"service": service, "incident": incident})
    return rows


def survey_for(*, incident) -> Survey | None:
    return Survey.objects.filter(incident=incident).first()
