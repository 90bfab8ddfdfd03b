"""SLA clocks for any registered record type: the registry's ``Clocks`` over the SLA engine.

A record type gives its registry key (the ``record_type`` SLA policies match), what policies
may match it on, and its workflow, so that "resolved" and "final" are the workflow's states,
never string literals.
"""

from collections.abc import Callable

from opsdesk.core.workflow import Workflow
from opsdesk.sla import services as sla


def _state_note(record) -> str:
    """ "On hold · Awaiting caller": why a clock paused or resumed, in the history's words."""
    note = record.get_state_display()
    if getattr(record, "hold_reason", ""):
        note = f"{note} · {record.get_hold_reason_display()}"
    return note


def default_attributes(record) -> dict:
    return {"priority": f"P{record.priority}"}


class TicketClocks:
    def __init__(
        self,
        *,
        record_type: str,
        workflow: Workflow,
        attributes: Callable[..., dict] = default_attributes,
    ):
        self.record_type = record_type
        self.workflow = workflow
        self.attributes = attributes

    def opened(self, record, *, at) -> None:
        """Start the response and resolution clocks, and the first group's OLA clock."""
        sla.sla_start_new(
            record=record,
            record_type=self.record_type,
            attributes=self.attributes(record),
            at=at,
            state=record.state,
            hold_reason=getattr(record, "hold_reason", ""),
            team_id=record.assignment_group_id or None,
        )

    def state_changed(self, record, *, from_state, to_state, at, responded=False) -> None:
        """Pause on hold, resume on leaving it; ``responded`` records a reply in the same step.

        Also called when a ticket on hold changes its hold reason: the policy decides which
        reasons pause which clock.
        """
        ends = self.workflow.resolved | self.workflow.final
        if to_state in ends or from_state in self.workflow.resolved:
            return  # those moves are moments of their own (resolved, reopened, ...)
        sla.sla_update(
            record=record,
            at=at,
            state=to_state,
            hold_reason=getattr(record, "hold_reason", ""),
            responded=responded,
            state_note=_state_note(record),
        )

    def priority_changed(self, record, *, from_priority, to_priority, at) -> None:
        """Re-target the running clocks for the new priority, keeping the time already used."""
        sla.sla_update(
            record=record,
            at=at,
            attributes=self.attributes(record),
            reason=f"Priority P{from_priority} → P{to_priority}",
            # The new policy may pause for other hold reasons than the old one did.
            state=record.state,
            hold_reason=getattr(record, "hold_reason", ""),
            state_note=_state_note(record),
        )

    def group_changed(self, record, *, from_group_id, to_group_id, at) -> None:
        """Close the old group's OLA segment and open one for the new group."""
        sla.sla_assignment_changed(record=record, team_id=to_group_id, at=at)

    def responded(self, record, *, at) -> None:
        """First public agent reply or acknowledgement meets the response target."""
        sla.sla_response_met(record=record, at=at)

    def moment(self, record, name: str, *, at) -> None:
        """resolved: every clock stops, met or breached; reopened: a new resolution cycle;
        cancelled: excluded from compliance; closed: resolving already stopped them."""
        if name == "resolved":
            sla.sla_resolve(record=record, at=at)
        elif name == "reopened":
            sla.sla_reopen(record=record, at=at, attributes=self.attributes(record))
        elif name == "cancelled":
            sla.sla_cancel(record=record, at=at)
        elif name != "closed":
            raise ValueError(f"unknown clock moment {name!r}")
