"""Turn an outbox fact into the event it means, the record it is about and who may hear of it."""

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse

from opsdesk.cmdb.selectors import service_list, service_users
from opsdesk.core.models import OutboxEvent, TimelineEntry, User
from opsdesk.core.roles import is_agent
from opsdesk.events.models import Alert
from opsdesk.events.rules import find_team, find_user, parse_recipient
from opsdesk.incidents.models import HoldReason, Incident
from opsdesk.notifications.models import Audience, Event
from opsdesk.oncall.selectors import oncall_now

TOPIC_EVENTS = {
    "incident.opened": Event.OPENED,
    "incident.assigned": Event.ASSIGNED,
    "incident.escalated": Event.ASSIGNED,
    "incident.commented": Event.COMMENTED,
    "incident.held": Event.WAITING_FOR_YOU,
    "incident.resolved": Event.RESOLVED,
    "incident.reopened": Event.REOPENED,
    "servicedesk.survey_requested": Event.SURVEY,
    "sla.warning": Event.SLA_WARNING,
    "sla.breached": Event.SLA_BREACHED,
    "incident.page": Event.PAGE,
    "incident.escalation_notice": Event.ESCALATION_NOTICE,
    "incident.stakeholder_update": Event.STAKEHOLDER_UPDATE,
    "incident.major_declared": Event.MAJOR_DECLARED,
}

# Major-incident communications: they name the affected services and where to follow them.
MAJOR_EVENTS = frozenset({Event.MAJOR_DECLARED, Event.STAKEHOLDER_UPDATE})


@dataclass
class Fact:
    """What the templates and the rules need to know about one outbox event."""

    event: str
    incident: Incident
    actor_id: int | None = None
    internal: bool = False
    named_users: list[User] = field(default_factory=list)
    named_addresses: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    # The services the fact is about (None: the incident's own, looked up when needed).
    service_ids: list[int] | None = None


def incident_url(incident: Incident) -> str:
    return f"{settings.BASE_URL}{reverse('incidents:detail', args=[incident.pk])}"


def ticket_url(incident: Incident, *, agent: bool) -> str:
    """Where the recipient follows the ticket: agents in the workspace, everyone else on the
    portal's ticket page, where a caller confirms or rejects a resolution."""
    if agent:
        return incident_url(incident)
    return f"{settings.BASE_URL}{reverse('servicedesk:ticket', args=[incident.pk])}"


def status_url() -> str:
    """The portal's service-status panel: the link for people who cannot open the ticket."""
    return f"{settings.BASE_URL}{reverse('servicedesk:home')}"


def _incident_service_ids(incident: Incident) -> list[int]:
    ids = set(incident.affected_services.values_list("pk", flat=True))
    if incident.service_id:
        ids.add(incident.service_id)
    return sorted(ids)


def _fact_service_ids(payload: dict, incident: Incident) -> list[int]:
    """The services affected when the fact happened (its payload), and the incident's service."""
    listed = payload.get("affected_service_ids")
    if not isinstance(listed, list):
        return _incident_service_ids(incident)
    ids = {pk for pk in listed if isinstance(pk, int)}
    if incident.service_id:
        ids.add(incident.service_id)
    return sorted(ids)


def _incident_for(topic: str, payload: dict) -> Incident | None:
    incident_id = payload.get("incident_id")
    if incident_id is None and topic.startswith("sla."):
        if list(payload.get("content_type") or []) != ["incidents", "incident"]:
            return None  # requests and other records get their own mail when they exist
        incident_id = payload.get("object_id")
    if incident_id in (None, ""):
        return None
    return (
        Incident.objects.select_related("caller", "assignee", "assignment_group__lead")
        .filter(pk=incident_id)
        .first()
    )


def _actor_id(event: OutboxEvent) -> int | None:
    """Who made the change: every ticket fact names its actor (None: the system)."""
    payload = event.payload
    for key in ("author_id", "by_id", "actor_id"):
        if payload.get(key):
            return payload[key]
    return None


def fact_for(event: OutboxEvent) -> Fact | None:
    """The fact behind an outbox event, or None when nobody is to hear of it."""
    kind = TOPIC_EVENTS.get(event.topic)
    payload = event.payload
    incident = _incident_for(event.topic, payload) if kind else None
    if incident is None:
        return None
    if kind == Event.WAITING_FOR_YOU and incident.hold_reason != HoldReason.AWAITING_CALLER:
        return None
    fact = Fact(event=kind, incident=incident, actor_id=_actor_id(event))
    if kind == Event.COMMENTED:
        entry = TimelineEntry.objects.filter(pk=payload.get("entry_id")).first()
        fact.internal = not payload.get("public", True)
        fact.extra["comment"] = entry.body if entry else ""
        fact.extra["comment_author"] = str(entry.author) if entry and entry.author else ""
    elif kind == Event.PAGE:
        fact.named_users = list(User.objects.filter(pk=payload.get("user_id"), is_active=True))
        if not fact.named_users and payload.get("email"):
            fact.named_addresses = [payload["email"]]
        fact.extra.update(
            acknowledge_url=payload.get("acknowledge_url", ""), reason=payload.get("reason", "")
        )
    elif kind == Event.ESCALATION_NOTICE:
        fact.named_users = list(User.objects.filter(pk__in=payload.get("user_ids") or []))
        fact.extra.update(level=payload.get("level", ""), why=payload.get("why", ""))
    elif kind == Event.SURVEY:
        fact.named_users = list(User.objects.filter(pk=payload.get("caller_id")))
        fact.extra["survey_url"] = payload.get("survey_url", "")
    elif kind == Event.STAKEHOLDER_UPDATE:
        fact.named_users = list(User.objects.filter(pk__in=payload.get("watcher_ids") or []))
        fact.extra.update(
            update=payload.get("body", ""), next_update_due=payload.get("next_update_due") or ""
        )
    elif kind in (Event.SLA_WARNING, Event.SLA_BREACHED):
        fact.extra.update(
            sla_kind=str(payload.get("kind", "")).replace("_", " "),
            due_at=payload.get("due_at") or "",
            threshold=payload.get("threshold", ""),
        )
    if kind in MAJOR_EVENTS:
        fact.service_ids = _fact_service_ids(payload, incident)
        names = service_list().filter(pk__in=fact.service_ids).order_by("name")
        fact.extra.update(
            services=", ".join(names.values_list("name", flat=True)),
            summary=incident.major_summary or incident.short_description,
            status_url=status_url(),
        )
    return fact


def audience_members(fact: Fact, audience: str) -> list[User]:
    incident = fact.incident
    group = incident.assignment_group
    if audience == Audience.CALLER:
        return [incident.caller]
    if audience == Audience.ASSIGNEE:
        return [incident.assignee] if incident.assignee else []
    if audience == Audience.ASSIGNMENT_GROUP:
        return list(group.members.filter(is_active=True)) if group else []
    if audience == Audience.WATCHERS:
        return list(incident.watchers.filter(is_active=True))
    if audience == Audience.TEAM_LEAD:
        return [group.lead] if group and group.lead else []
    if audience == Audience.NAMED:
        return list(fact.named_users)
    if audience == Audience.SERVICE_USERS:
        return _service_users(fact)
    return []


def _service_users(fact: Fact) -> list[User]:
    """Users of the services a major incident affects, in three queries however many they are."""
    incident = fact.incident
    if not incident.is_major or incident.confidential:
        return []  # a broadcast is for disruptions everyone may know about
    ids = fact.service_ids if fact.service_ids is not None else _incident_service_ids(incident)
    people = list(service_users(ids))
    # Load everyone's roles at once, so the per-person checks that follow (in-app for agents)
    # read core.roles' per-user cache instead of asking the database once per person.
    roles: dict[int, set[str]] = {}
    memberships = User.groups.through.objects.filter(user_id__in=[u.pk for u in people])
    for user_id, name in memberships.values_list("user_id", "group__name"):
        roles.setdefault(user_id, set()).add(name)
    for user in people:
        user._opsdesk_roles = frozenset(roles.get(user.pk, ()))
    return people


def may_hear(fact: Fact, user: User, audience: str) -> bool:
    """Never the person who made the change; work notes and private records stay with staff."""
    if not user.is_active or not user.email:
        return False
    if fact.actor_id is not None and user.pk == fact.actor_id and fact.event != Event.PAGE:
        return False
    if audience == Audience.SERVICE_USERS:
        # Many of them cannot open the ticket: they are told the public text, never a note.
        return not fact.internal and not fact.incident.confidential
    if fact.internal and not is_agent(user):
        return False
    # A page or escalation goes to the people on call, who need it whatever the record's flags.
    return audience == Audience.NAMED or fact.incident.is_visible_to(user)


# --- alerts: the recipients a rule's notify action names ---------------------------------------
def alert_url(alert: Alert) -> str:
    return f"{settings.BASE_URL}{reverse('events:alert-detail', args=[alert.pk])}"


def notify_recipients(entries: list, *, at) -> list[tuple[User | None, str]]:
    """(user or None, address) for each person a ``notify`` list reaches at ``at``, once each.

    Teams and users that no longer exist, inactive users and people without an address are
    skipped: the rule was valid when saved and the alert must still reach the others.
    """
    found: dict[str, tuple[User | None, str]] = {}

    def add(user: User | None, address: str) -> None:
        if not address or (user is not None and not user.is_active):
            return
        key = address.lower()
        # A plain address that belongs to a named user counts as that user (in-app, preferences).
        if key not in found or (found[key][0] is None and user is not None):
            found[key] = (user, address)

    for entry in entries or []:
        parsed = parse_recipient(entry)
        if parsed is None:
            continue
        kind, value = parsed
        if kind == "email":
            add(None, value)
        elif kind == "user":
            user = find_user(value)
            if user is not None:
                add(user, user.email)
        else:
            team = find_team(value)
            if team is None:
                continue
            people = (
                oncall_now(team=team, at=at)
                if kind == "oncall"
                else team.members.filter(is_active=True).order_by("username")
            )
            for user in people:
                add(user, user.email)
    return list(found.values())
