"""Turn an outbox fact into the event it means, the record it is about and who may hear of it."""

from dataclasses import dataclass, field
from datetime import UTC
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from opsdesk.access.selectors import may_manage_access, review_items_for
from opsdesk.cmdb.selectors import service_list, service_users
from opsdesk.core.models import OutboxEvent, Team, TimelineEntry, User
from opsdesk.core.roles import Role, is_agent
from opsdesk.core.tickets.registry import TicketType, ticket_type, ticket_type_of, ticket_types
from opsdesk.events.models import Alert
from opsdesk.events.rules import find_team, find_user, parse_recipient
from opsdesk.notifications.models import Audience, Event
from opsdesk.oncall.selectors import oncall_now

# What a ticket fact means, for every registered record type: "<type>.<suffix>".
TICKET_EVENTS = {
    "opened": Event.OPENED,
    "assigned": Event.ASSIGNED,
    "escalated": Event.ASSIGNED,
    "commented": Event.COMMENTED,
    "held": Event.WAITING_FOR_YOU,
    "resolved": Event.RESOLVED,
    "reopened": Event.REOPENED,
}
# Facts of one record type or of other apps, by their whole topic.
OTHER_EVENTS = {
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


def events_of(ticket_type: TicketType) -> dict[str, str]:
    """Topic suffix -> event for one record type: the shared meanings, then what the type
    declares itself (``notification_events``; an empty event silences a suffix, as a request
    item's "opened" is silent because its request already says it)."""
    declared = ticket_type.notification_events
    events = {**TICKET_EVENTS, **declared}
    return {suffix: event for suffix, event in events.items() if event}


def topics_of(ticket_type: TicketType) -> list[str]:
    """The ticket topics of one record type that may become notifications."""
    return [ticket_type.topic(suffix) for suffix in events_of(ticket_type)]


def event_for(topic: str) -> str | None:
    """The notification event an outbox topic means, if any."""
    if topic in OTHER_EVENTS:
        return OTHER_EVENTS[topic]
    key, _, suffix = topic.partition(".")
    kind = _type(key)
    return events_of(kind).get(suffix) if kind is not None else None


@dataclass
class Fact:
    """What the templates and the rules need to know about one outbox event."""

    event: str
    record: Any  # the ticket, of whichever registered record type
    ticket_type: TicketType
    actor_id: int | None = None
    internal: bool = False
    named_users: list[User] = field(default_factory=list)
    named_addresses: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    # The services the fact is about (None: the record's own, looked up when needed).
    service_ids: list[int] | None = None


def record_url(record, *, agent: bool = True) -> str:
    """Where the recipient follows the ticket: agents on its record page, everyone else where
    its record type lets requesters follow it (the portal, where a caller confirms or rejects
    a resolution)."""
    kind = ticket_type_of(record)
    if agent or kind.portal_url is None:
        return f"{settings.BASE_URL}{kind.url(record)}"
    return f"{settings.BASE_URL}{kind.portal_url(record)}"


def status_url() -> str:
    """The portal's service-status panel: the link for people who cannot open the ticket."""
    return f"{settings.BASE_URL}{reverse('servicedesk:home')}"


def _record_service_ids(record) -> list[int]:
    affected = getattr(record, "affected_services", None)
    ids = set(affected.values_list("pk", flat=True)) if affected is not None else set()
    if getattr(record, "service_id", None):
        ids.add(record.service_id)
    return sorted(ids)


def _fact_service_ids(payload: dict, record) -> list[int]:
    """The services affected when the fact happened (its payload), and the record's service."""
    listed = payload.get("affected_service_ids")
    if not isinstance(listed, list):
        return _record_service_ids(record)
    ids = {pk for pk in listed if isinstance(pk, int)}
    if getattr(record, "service_id", None):
        ids.add(record.service_id)
    return sorted(ids)


def _type(key: str) -> TicketType | None:
    try:
        return ticket_type(key)
    except KeyError:
        return None


def _record_for(topic: str, payload: dict):
    """(record type, ticket) an outbox fact is about, or None: ticket facts name their type
    and id; SLA facts their record's content type; other apps' facts a ``<type>_id``."""
    if topic.startswith("sla."):
        label = list(payload.get("content_type") or [])
        kind = next(
            (
                t
                for t in ticket_types()
                if [t.model._meta.app_label, t.model._meta.model_name] == label
            ),
            None,
        )
        pk = payload.get("object_id")
    else:
        kind = _type(str(payload.get("record_type") or topic.partition(".")[0]))
        if kind is None:
            kind = next((t for t in ticket_types() if payload.get(f"{t.key}_id")), None)
        pk = payload.get(f"{kind.key}_id", payload.get("record_id")) if kind else None
    if kind is None or pk in (None, ""):
        return None
    record = (
        kind.model._default_manager.select_related("caller", "assignee", "assignment_group__lead")
        .filter(pk=pk)
        .first()
    )
    return (kind, record) if record is not None else None


def _actor_id(event: OutboxEvent) -> int | None:
    """Who made the change: every ticket fact names its actor (None: the system)."""
    payload = event.payload
    for key in ("author_id", "by_id", "actor_id"):
        if payload.get(key):
            return payload[key]
    return None


def fact_for(event: OutboxEvent) -> Fact | None:
    """The fact behind an outbox event, or None when nobody is to hear of it."""
    kind = event_for(event.topic)
    payload = event.payload
    found = _record_for(event.topic, payload) if kind else None
    if found is None:
        return None
    ticket_kind, incident = found
    hold_reason = getattr(incident, "hold_reason", "")
    # A ticket put on hold waits for the caller only for the reasons its type names; a move
    # that asks the requester outright (a request item's "info_needed") always does.
    held = event.topic.endswith(".held")
    if (
        kind == Event.WAITING_FOR_YOU
        and held
        and hold_reason not in ticket_kind.caller_hold_reasons
    ):
        return None
    fact = Fact(event=kind, record=incident, ticket_type=ticket_kind, actor_id=_actor_id(event))
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
    elif kind == Event.MANAGER_ASSIGNED:
        # The problem manager the fact names (a record type's own role, not its assignee).
        fact.named_users = list(User.objects.filter(pk__in=payload.get("named_user_ids") or []))
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
            summary=getattr(incident, "major_summary", "") or incident.short_description,
            status_url=status_url(),
        )
    return fact


def audience_members(fact: Fact, audience: str) -> list[User]:
    incident = fact.record
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
    incident = fact.record
    if not getattr(incident, "is_major", False) or incident.confidential:
        return []  # a broadcast is for disruptions everyone may know about
    ids = fact.service_ids if fact.service_ids is not None else _record_service_ids(incident)
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
        return not fact.internal and not fact.record.confidential
    if fact.internal and not is_agent(user):
        return False
    # A page or escalation goes to the people on call, who need it whatever the record's flags.
    return audience == Audience.NAMED or fact.ticket_type.visible_to(fact.record, user)


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


# --- access management: the people an access fact concerns -------------------------------------
ACCESS_EVENTS = {
    "access.grant_expiring": Event.ACCESS_EXPIRING,
    "access.review_requested": Event.ACCESS_REVIEW_REQUESTED,
    "access.review_reminder": Event.ACCESS_REVIEW_REMINDER,
    "access.manual_step": Event.ACCESS_MANUAL_STEP,
    "access.sod_violation": Event.ACCESS_SOD_VIOLATION,
}


@dataclass
class Letter:
    """One person's mail about an access fact: what its template sees and what it is about."""

    user: User
    context: dict
    # (app label, model name, primary key) of the access record the mail is about.
    record: tuple[str, str, Any]


def _url(name: str, *args, query: str = "") -> str:
    return f"{settings.BASE_URL}{reverse(name, args=args)}{'?' + query if query else ''}"


def _reachable(ids) -> dict[int, User]:
    """The active people among ``ids`` who have an address, by id: mail goes to no one else."""
    wanted = [pk for pk in ids if isinstance(pk, int)]
    people = User.objects.filter(pk__in=wanted, is_active=True).exclude(email="")
    return {user.pk: user for user in people.order_by("username")}


def _local_time(value, user: User) -> str:
    """A moment from a fact's payload as the recipient reads it: in their own time zone."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # opsdesk stores and publishes times in UTC
    try:
        zone = ZoneInfo(user.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b %Y %H:%M} ({zone.key})"


def _sees_access_desk(user: User) -> bool:
    return is_agent(user) or may_manage_access(user)


def _expiring(payload: dict) -> list[Letter]:
    """The holder, with the way to ask for more time; the owner, with the holders' list."""
    holder_id, owner_id = payload.get("holder_id"), payload.get("owner_id")
    people = _reachable([holder_id, owner_id])
    holder = people.get(holder_id) or User.objects.filter(pk=holder_id).first()
    package = payload.get("package") or ""
    extension = bool(payload.get("extension_allowed") and package)
    letters = []
    for user in people.values():
        for_holder = user.pk == holder_id
        if for_holder:
            url = _url("access:portal-order", package) if extension else _url("access:my-access")
        elif _sees_access_desk(user):
            who = holder.username if holder else ""
            url = _url("access:grants", query=urlencode({"expiring": "month", "q": who}))
        else:
            url = _url("access:my-access")
        context = {
            "entitlement": payload.get("entitlement", ""),
            "holder": str(holder) if holder else "",
            "ends": _local_time(payload.get("valid_to"), user),
            "for_holder": for_holder,
            "extension": for_holder and extension,
            "url": url,
        }
        letters.append(Letter(user, context, ("access", "grant", payload.get("grant_id"))))
    return letters


def _reviews(payload: dict) -> list[Letter]:
    """The reviewer, told how many decisions of the campaign still wait for them."""
    reviewer = _reachable([payload.get("reviewer_id")]).get(payload.get("reviewer_id"))
    campaign_id = payload.get("campaign_id")
    if reviewer is None or not isinstance(campaign_id, int):
        return []
    # Counted when the mail is written: a reviewer who decided meanwhile is not asked again.
    waiting = review_items_for(reviewer).filter(campaign_id=campaign_id)
    count = waiting.count()
    first = waiting.first()
    if first is None:
        return []
    context = {
        "campaign": first.campaign.name,
        "count": count,
        "deadline": _local_time(first.campaign.deadline, reviewer),
        "url": _url("access:my-reviews"),
    }
    return [Letter(reviewer, context, ("access", "reviewcampaign", campaign_id))]


def access_managers() -> list[User]:
    """Who may manage access (administrators and catalog managers), reachable by mail."""
    managers = (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(
            Q(is_superuser=True)
            | Q(groups__name__in=[str(Role.ADMINISTRATOR), str(Role.CATALOG_MANAGER)])
        )
        .distinct()
        .order_by("username")
    )
    return list(managers)


def _manual_step(payload: dict) -> list[Letter]:
    """The owner team's members; without an owner team the step would wait unseen, so the
    access managers are told instead."""
    team = (
        Team.objects.filter(pk=payload.get("team_id")).first() if payload.get("team_id") else None
    )
    if team is not None:
        people = list(team.members.filter(is_active=True).exclude(email="").order_by("username"))
    else:
        people = access_managers()
    context = {"team": team.name if team else "", "url": _url("access:provisioning")}
    record = ("access", "provisioningstep", payload.get("step_id"))
    return [Letter(user, dict(context), record) for user in people]


def _sod_violation(payload: dict) -> list[Letter]:
    person = User.objects.filter(pk=payload.get("person_id")).first()
    context = {
        "rule": payload.get("rule", ""),
        "person": str(person) if person else "",
        "url": _url("access:violations"),
    }
    record = ("access", "sodviolation", payload.get("violation_id"))
    return [Letter(user, dict(context), record) for user in access_managers()]


def access_letters(event: OutboxEvent) -> list[Letter]:
    """One letter per person an access fact concerns (active, with an address), once each."""
    payload = event.payload
    kind = ACCESS_EVENTS.get(event.topic)
    if kind == Event.ACCESS_EXPIRING:
        return _expiring(payload)
    if kind in (Event.ACCESS_REVIEW_REQUESTED, Event.ACCESS_REVIEW_REMINDER):
        return _reviews(payload)
    if kind == Event.ACCESS_MANUAL_STEP:
        return _manual_step(payload)
    if kind == Event.ACCESS_SOD_VIOLATION:
        return _sod_violation(payload)
    return []
