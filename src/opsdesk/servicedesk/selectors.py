"""Reads for the portal: a requester's own tickets, the status of the services they use, and
for a service owner how the services they own are doing."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from opsdesk.cmdb import selectors as cmdb
from opsdesk.cmdb.models import BUSINESS_SERVICE, CIStatus, ConfigurationItem
from opsdesk.core.roles import is_agent
from opsdesk.core.tickets.registry import TicketType, ticket_type, ticket_types
from opsdesk.events.models import ACTIVE_ALERT_STATUSES, Alert
from opsdesk.incidents import selectors as incidents
from opsdesk.servicedesk.models import Survey

# The services a person used recently are the ones they depend on.
DEPENDS_WINDOW = timedelta(days=180)


def portal_types() -> list[TicketType]:
    """The record types a requester follows on the portal: those that say where (portal_url)."""
    return [kind for kind in ticket_types() if kind.portal_url is not None]


def portal_type(key: str) -> TicketType | None:
    return next((kind for kind in portal_types() if kind.key == key), None)


def my_tickets_of(kind: TicketType, *, viewer) -> QuerySet:
    """One record type's tickets the viewer raised, that are for them, or that they watch,
    whatever their role, and may open (a watched confidential ticket stays out)."""
    model: Any = kind.model
    if not getattr(viewer, "is_authenticated", False):
        return model._default_manager.none()
    watchers = model.watchers.through  # every ticket has its watchers
    watched = watchers.objects.filter(user_id=viewer.pk).values(f"{model._meta.model_name}_id")
    mine = Q(caller=viewer) | Q(pk__in=watched)
    if any(f.name == "requested_for" for f in model._meta.fields):
        mine |= Q(requested_for=viewer)
    assert kind.visible is not None
    visible = kind.visible(viewer).values("pk")
    return model._default_manager.filter(mine, pk__in=visible).select_related(
        "assignment_group", "assignee"
    )


@dataclass(frozen=True)
class PortalTicket:
    """One line of a requester's tickets, of whichever record type: labels, never values."""

    kind: TicketType
    record: Any
    number: str
    short_description: str
    state: str
    state_label: str
    opened_at: object
    url: str

    @property
    def type_label(self) -> str:
        return self.kind.label


def portal_ticket_row(kind: TicketType, record) -> PortalTicket:
    assert kind.portal_url is not None
    return PortalTicket(
        kind=kind,
        record=record,
        number=record.number,
        short_description=record.short_description,
        state=record.state,
        state_label=str(kind.workflow.states.get(record.state, record.state)),
        opened_at=record.opened_at,
        url=kind.portal_url(record),
    )


def my_tickets(*, viewer, record_type: str = "", limit: int | None = None) -> list[PortalTicket]:
    """Every registered record type's tickets of the viewer (``my_tickets_of``), newest
    first; ``record_type`` keeps one type (an unknown key keeps none)."""
    kinds = portal_types()
    if record_type:
        kinds = [kind for kind in kinds if kind.key == record_type]
    rows = []
    for kind in kinds:
        records = my_tickets_of(kind, viewer=viewer).order_by("-opened_at", "-id")
        rows += [portal_ticket_row(kind, r) for r in (records[:limit] if limit else records)]
    rows.sort(key=lambda row: (row.opened_at, row.record.pk), reverse=True)
    return rows[:limit] if limit else rows


def portal_ticket(*, viewer, pk, record_type: str = "incident"):
    """A ticket the viewer may see on the portal; None (answered as 404) for anything else."""
    kind = portal_type(record_type)
    if kind is None or not pk or not str(pk).isdigit() or len(str(pk)) > 18:
        return None
    assert kind.visible is not None
    return kind.visible(viewer).filter(pk=pk).first()


def services_used_by(*, viewer) -> set[int]:
    """The services the viewer depends on: the ones their department uses, the ones they
    follow, and the ones their recent tickets were about."""
    if not getattr(viewer, "is_authenticated", False):
        return set()
    since = timezone.now() - DEPENDS_WINDOW
    ids: set[int] = set()
    for kind in portal_types():
        mine = my_tickets_of(kind, viewer=viewer).filter(opened_at__gte=since)
        ids |= _services_of(kind, mine)
    return ids | cmdb.services_used_by(user=viewer)


def _services_of(kind: TicketType, records: QuerySet) -> set[int]:
    """The services ``records`` are about, for record types that name services."""
    fields = {f.name: f for f in kind.model._meta.get_fields()}
    ids: set[int] = set()
    if "service" in fields:
        ids |= set(records.exclude(service=None).values_list("service_id", flat=True))
    if "affected_services" in fields:
        ids |= set(records.values_list("affected_services", flat=True)) - {None}
    return ids


def service_status(*, viewer) -> list[dict]:
    """Open major incidents on business services the viewer depends on, one line per service.

    Someone with no history yet sees every open major incident: better told too much than
    left wondering why the service they just tried is down. Each line says whether the viewer
    follows the service, for the panel's follow toggle.
    """
    majors = incidents.open_major_incidents()
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


def survey_for(*, record) -> Survey | None:
    """The survey of a ticket of any registered record type, if it was asked."""
    kind = next((t for t in ticket_types() if type(record) is t.model), None)
    if kind is None:
        return None
    return Survey.objects.filter(record_type=kind.key, record_id=record.pk).first()


def survey_list(*, viewer) -> QuerySet[Survey]:
    """Surveys on tickets the viewer may see, of every record type; requesters their own."""
    if not getattr(viewer, "is_authenticated", False):
        return Survey.objects.none()
    visible = Q(pk__in=[])
    for key in Survey.objects.values_list("record_type", flat=True).distinct():
        try:
            kind = ticket_type(key)
        except KeyError:
            continue
        assert kind.visible is not None
        visible |= Q(record_type=key, record_id__in=kind.visible(viewer).values("pk"))
    qs = Survey.objects.filter(visible)
    return qs if is_agent(viewer) else qs.filter(caller=viewer)


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
    open_qs = incidents.service_incidents_open(service=service)
    majors = incidents.service_majors_since(service=service, since=month_start)
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
