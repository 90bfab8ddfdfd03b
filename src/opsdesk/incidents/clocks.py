"""Every point where an incident's SLA clocks move, in one place.

Incident services call these inside their transaction, after the record is saved, so a state
change and its clock change commit together. ``at`` is the moment the fact happened.
"""

from opsdesk.sla import services as sla

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


def incident_opened(*, incident, at) -> None:
    """Start the response and resolution clocks, and the first group's OLA clock.

    Call it in the transaction that created the incident (it has no clocks before that).
    """
    sla.sla_start_new(
        record=incident,
        record_type=RECORD_TYPE,
        attributes=sla_attributes(incident),
        at=at,
        state=incident.state,
        hold_reason=incident.hold_reason,
        team_id=incident.assignment_group_id or None,
    )


def _state_note(incident) -> str:
    """ "On hold · Awaiting caller": why a clock paused or resumed, in the history's words."""
    note = incident.get_state_display()
    if incident.hold_reason:
        note = f"{note} · {incident.get_hold_reason_display()}"
    return note


def incident_state_changed(*, incident, from_state, to_state, at, responded=False) -> None:
    """Pause on hold, resume on leaving it; ``responded`` records a reply made in the same step.

    Also called when an incident on hold changes its hold reason: the policy decides which
    reasons pause which clock, so a switch from "Awaiting vendor" to "Awaiting caller" pauses.
    """
    if to_state in ("resolved", "cancelled", "closed") or from_state == "resolved":
        # Those moves have their own calls below; pausing first would skew the history.
        return
    sla.sla_update(
        record=incident,
        at=at,
        state=to_state,
        hold_reason=incident.hold_reason,
        responded=responded,
        state_note=_state_note(incident),
    )


def incident_priority_changed(*, incident, from_priority, to_priority, at) -> None:
    """Re-target the running clocks for the new priority, keeping the time already used."""
    sla.sla_update(
        record=incident,
        at=at,
        attributes=sla_attributes(incident),
        reason=f"Priority P{from_priority} → P{to_priority}",
        # The new policy may pause for other hold reasons than the old one did.
        state=incident.state,
        hold_reason=incident.hold_reason,
        state_note=_state_note(incident),
    )


def incident_group_changed(*, incident, from_group_id, to_group_id, at) -> None:
    """Close the old group's OLA segment and open one for the new group."""
    sla.sla_assignment_changed(record=incident, team_id=to_group_id, at=at)


def incident_responded(*, incident, at) -> None:
    """First public agent reply or acknowledgement meets the response target."""
    sla.sla_response_met(record=incident, at=at)


def incident_resolved(*, incident, at) -> None:
    """Stop every clock: each is met or breached."""
    sla.sla_resolve(record=incident, at=at)


def incident_reopened(*, incident, at) -> None:
    """A reopen starts a new resolution cycle (METRICS.md: compliance counts cycles)."""
    sla.sla_reopen(record=incident, at=at, attributes=sla_attributes(incident))


def incident_cancelled(*, incident, at) -> None:
    """Cancelled clocks are excluded from compliance."""
    sla.sla_cancel(record=incident, at=at)


def incident_closed(*, incident, at) -> None:
    """Closing follows resolving, which already stopped the clocks; nothing is left to move."""
    return None
