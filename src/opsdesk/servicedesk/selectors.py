"""Reads for the portal: a requester's own tickets, the status of the services they use, and
for a service owner how the services they own are doing."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from opsdesk.cmdb import selectors as cmdb
from opsdesk.cmdb.models import BUSINESS_SERVICE, CIStatus, ConfigurationItem
from opsdesk.events.models import ACTIVE_ALERT_STATUSES, Alert
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
    """The services the viewer depends on: the ones their department uses, the ones they
    follow, and the ones their recent tickets were about."""
    if not getattr(viewer, "is_authenticated", False):
        return set()
    since = timezone.now() - DEPENDS_WINDOW
    mine = my_tickets(viewer=viewer).filter(opened_at__gte=since)
    ids = set(mine.exclude(service=None).values_list("service_id", flat=True))
    ids |= set(
        Incident.affected_services.through.objects.filter(incident__in=mine).values_list(
            "configurationitem_id", flat=True
        )
    )
    return ids | cmdb.services_used_by(user=viewer)


def service_status(*, viewer) -> list[dict]:
    """Open major incidents on business services the viewer depends on, one line per service.

    Someone with no history yet sees every open major incident: better told too much than
    left wondering why the service they just tried is down. Each line says whether the viewer
    follows the service, for the panel's follow toggle.
    """
    majors = Incident.objects.filter(is_major=True, state__in=OPEN_STATES, confidential=False)
    used = services_used_by(viewer=viewer)
    followed = followed_service_ids(viewer=viewer)
    rows = []
    for incident in majors.prefetch_related("affected_services__ci_class").order_by("-opened_at")[
        :20
    ]:
        for service in incident.affected_services.all():
            if not used or service.pk in used:
                rows.append(
                    {
                        "service": service,
                        "incident": incident,
                        "followed": service.pk in followed,
                        "followable": service.ci_class.is_business_service,
                    }
                )
    return rows


def followed_services(*, viewer) -> QuerySet[ConfigurationItem]:
    return cmdb.services_followed_by(user=viewer)


def followed_service_ids(*, viewer) -> set[int]:
    return set(followed_services(viewer=viewer).values_list("pk", flat=True))


def services_to_follow(*, viewer) -> QuerySet[ConfigurationItem]:
    """Business services in use that the viewer does not follow yet: the panel's choices."""
    followed = followed_services(viewer=viewer).values("pk")
    return (
        cmdb.ci_list(viewer=viewer)
        .filter(ci_class__key=BUSINESS_SERVICE)
        .exclude(status=CIStatus.RETIRED)
        .exclude(pk__in=followed)
        .order_by("name")
    )


def followable_service(*, viewer, pk) -> ConfigurationItem | None:
    """A business service the viewer may follow; None (a 404 or a form error) for anything else."""
    if not str(pk or "").isdigit() or len(str(pk)) > 18:
        return None
    return cmdb.ci_list(viewer=viewer).filter(ci_class__key=BUSINESS_SERVICE, pk=pk).first()


def survey_for(*, incident) -> Survey | None:
    return Survey.objects.filter(incident=incident).first()


# --- the service owner's view -------------------------------------------------------------------
@dataclass(frozen=True)
class ServiceOverview:
    """What the owner of a business service wants to know about it this month."""

    service: ConfigurationItem
    open_incidents: list
    open_count: int
    major_incidents: list
    alerts: list
    alert_count: int
    downtime: timedelta
    availability: float  # percent of the month so far


def owned_services(*, viewer) -> QuerySet[ConfigurationItem]:
    """Business services the viewer owns, whatever their role: owners are often not IT staff."""
    if not getattr(viewer, "is_authenticated", False):
        return ConfigurationItem.objects.none()
    return ConfigurationItem.objects.filter(
        service_owner=viewer, ci_class__key=BUSINESS_SERVICE
    ).order_by("name")


def service_overviews(*, viewer, now=None, limit: int = 10) -> list[ServiceOverview]:
    now = now or timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return [_overview(s, month_start, now, limit) for s in owned_services(viewer=viewer)]


def _overview(service, month_start, now, limit) -> ServiceOverview:
    # Confidential incidents stay out: the owner sees the service's health, not HR cases.
    on_service = (
        Incident.objects.filter(Q(service=service) | Q(affected_services=service))
        .filter(confidential=False)
        .distinct()
    )
    open_qs = on_service.filter(state__in=OPEN_STATES).order_by("priority", "-opened_at")
    majors = on_service.filter(is_major=True).filter(
        Q(state__in=OPEN_STATES) | Q(resolved_at__gte=month_start) | Q(outage_end__gte=month_start)
    )
    # Alerts on the service itself or on anything it runs on.
    below = [reached.ci.id for reached in cmdb.ci_dependencies(ci=service).items]
    alerts = Alert.objects.filter(
        Q(service=service) | Q(ci_id__in=[service.pk, *below]), status__in=ACTIVE_ALERT_STATUSES
    ).order_by("-last_seen")
    downtime = _downtime(majors, month_start, now)
    elapsed = (now - month_start).total_seconds() or 1.0
    return ServiceOverview(
        service=service,
        open_incidents=list(open_qs[:limit]),
        open_count=open_qs.count(),
        major_incidents=list(majors.order_by("-opened_at")[:limit]),
        alerts=list(alerts[:limit]),
        alert_count=alerts.count(),
        downtime=downtime,
        availability=max(0.0, 100.0 * (1 - downtime.total_seconds() / elapsed)),
    )


def _downtime(majors, month_start, now) -> timedelta:
    """Time this month inside any major incident's outage, overlaps counted once.

    The outage is the window a review recorded; before a review, from declaration (or opening)
    to resolution, or to now while it lasts.
    """
    windows = []
    for incident in majors:
        start = incident.outage_start or incident.major_declared_at or incident.opened_at
        end = incident.outage_end or incident.resolved_at or now
        start, end = max(start, month_start), min(end, now)
        if end > start:
            windows.append((start, end))
    total, current_start, current_end = timedelta(), None, None
    for start, end in sorted(windows):
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start
    return total
