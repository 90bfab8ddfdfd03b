"""Escalation driven by the clocks: hierarchical notices and optional functional hand-over.

Hierarchical escalation tells people above the assignment group that an incident is in
trouble: the group's team lead when a P1/P2 opens (or is raised to it) and when a resolution
clock passes ``OPSDESK_INCIDENT_LEAD_NOTICE_AT`` percent (default 75), and the lead's manager
as well when it breaches. Each notice is an ``incident.escalation_notice`` outbox event for
notifications to deliver. Functional escalation by rule hands the incident to the group's
escalation team when a resolution clock passes ``OPSDESK_INCIDENT_AUTO_ESCALATE_AT`` percent
(unset: only by hand).

These run as outbox handlers, so each SLA event escalates exactly once.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType

from opsdesk.core.context import as_system
from opsdesk.core.errors import DomainError
from opsdesk.core.models import TimelineKind
from opsdesk.core.outbox import outbox_handler, outbox_publish
from opsdesk.core.timeline import timeline_add
from opsdesk.incidents.models import OPEN_STATES, Incident
from opsdesk.incidents.services import incident_escalate


def lead_notice_threshold() -> int:
    return int(getattr(settings, "OPSDESK_INCIDENT_LEAD_NOTICE_AT", 75))


def auto_escalate_threshold() -> int | None:
    value = getattr(settings, "OPSDESK_INCIDENT_AUTO_ESCALATE_AT", None)
    return int(value) if value not in (None, "") else None


def _chain(incident: Incident, *, with_manager: bool) -> list:
    group = incident.assignment_group
    lead = group.lead if group is not None else None
    people = [lead] if lead is not None and lead.is_active else []
    if with_manager and lead is not None and lead.manager is not None and lead.manager.is_active:
        people.append(lead.manager)
    return people


def notify_hierarchy(incident: Incident, *, level: str, why: str, with_manager: bool) -> None:
    people = _chain(incident, with_manager=with_manager)
    if not people:
        return
    outbox_publish(
        topic="incident.escalation_notice",
        payload={
            "incident_id": incident.pk,
            "number": incident.number,
            "priority": incident.priority,
            "level": level,
            "why": why,
            "user_ids": [p.pk for p in people],
        },
    )
    timeline_add(
        record=incident,
        kind=TimelineKind.SYSTEM,
        body=f"Escalation notice to {', '.join(str(p) for p in people)}: {why}.",
        data={"escalation": level, "user_ids": [p.pk for p in people]},
    )


def _incident_from(payload: dict) -> Incident | None:
    if payload.get("record_type") != "incident" or payload.get("kind") != "resolution":
        return None
    app_label, model = payload["content_type"]
    if ContentType.objects.get_by_natural_key(app_label, model).model_class() is not Incident:
        return None
    incident = (
        Incident.objects.select_related("assignment_group__lead__manager")
        .filter(pk=payload["object_id"], state__in=OPEN_STATES)
        .first()
    )
    return incident


@outbox_handler("sla.warning")
def on_sla_warning(*, event_id, topic, payload):
    incident = _incident_from(payload)
    if incident is None:
        return
    threshold = int(payload.get("threshold") or 0)
    if threshold == lead_notice_threshold():
        notify_hierarchy(
            incident,
            level="team_lead",
            why=f"{threshold} % of the resolution target used",
            with_manager=False,
        )
    auto_at = auto_escalate_threshold()
    if auto_at is not None and threshold == auto_at:
        _escalate(incident, why=f"{threshold} % of the resolution target used")


@outbox_handler("sla.breached")
def on_sla_breached(*, event_id, topic, payload):
    incident = _incident_from(payload)
    if incident is None:
        return
    notify_hierarchy(
        incident, level="manager", why="the resolution target was breached", with_manager=True
    )


@outbox_handler("incident.opened")
def on_major_priority_opened(*, event_id, topic, payload):
    if payload.get("priority", 5) > 2:
        return
    incident = (
        Incident.objects.select_related("assignment_group__lead")
        .filter(pk=payload["incident_id"])
        .first()
    )
    if incident is not None:
        notify_hierarchy(
            incident,
            level="team_lead",
            why=f"a P{incident.priority} incident was opened",
            with_manager=False,
        )


def _escalate(incident: Incident, *, why: str) -> None:
    try:
        with as_system():
            incident_escalate(actor=None, incident=incident, reason=f"automatic: {why}")
    except DomainError:
        # No escalation team configured: nothing to hand over to, the notices still go out.
        return


@outbox_handler("incident.priority_changed")
def on_raised_to_p1_or_p2(*, event_id, topic, payload):
    """Raising an incident to P1/P2 later tells the lead, as opening it at that priority does."""
    if payload.get("priority", 5) > 2 or payload.get("previous", 5) <= 2:
        return
    incident = (
        Incident.objects.select_related("assignment_group__lead")
        .filter(pk=payload["incident_id"], state__in=OPEN_STATES)
        .first()
    )
    if incident is not None:
        notify_hierarchy(
            incident,
            level="team_lead",
            why=f"the incident was raised to P{incident.priority}",
            with_manager=False,
        )
