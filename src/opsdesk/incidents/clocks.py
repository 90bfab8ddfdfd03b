"""Every point where an incident's SLA clocks move, in one place.

The platform's services move them through the registry (``INCIDENT_CLOCKS`` is what the
incident type registers); the functions below are for incident code that moves them itself
(the demo's history). ``at`` is the moment the fact happened.
"""

from opsdesk.incidents.workflow import INCIDENT_WORKFLOW
from opsdesk.sla.tickets import TicketClocks

RECORD_TYPE = "incident"


def sla_attributes(incident) -> dict:
    """What SLA policies may match an incident on."""
    ci = incident.ci
    return {
        "priority": f"P{incident.priority}",
        "service_id": incident.service_id,
        "ci_criticality": ci.criticality if ci is not None else None,
        "caller_vip": bool(incident.caller.is_vip) if incident.caller_id else False,
        "department": incident.caller.department if incident.caller_id else "",
    }


INCIDENT_CLOCKS = TicketClocks(
    record_type=RECORD_TYPE, workflow=INCIDENT_WORKFLOW, attributes=sla_attributes
)


def incident_opened(*, incident, at) -> None:
    INCIDENT_CLOCKS.opened(incident, at=at)


def incident_state_changed(*, incident, from_state, to_state, at, responded=False) -> None:
    INCIDENT_CLOCKS.state_changed(
        incident, from_state=from_state, to_state=to_state, at=at, responded=responded
    )


def incident_priority_changed(*, incident, from_priority, to_priority, at) -> None:
    INCIDENT_CLOCKS.priority_changed(
        incident, from_priority=from_priority, to_priority=to_priority, at=at
    )


def incident_responded(*, incident, at) -> None:
    INCIDENT_CLOCKS.responded(incident, at=at)


def incident_resolved(*, incident, at) -> None:
    INCIDENT_CLOCKS.moment(incident, "resolved", at=at)


def incident_reopened(*, incident, at) -> None:
    INCIDENT_CLOCKS.moment(incident, "reopened", at=at)
