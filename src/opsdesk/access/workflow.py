"""Access requests' and grants' lifecycles as data.

An access request: Submitted -> Awaiting approval -> Being granted -> Granted, or Rejected;
Cancelled from any open state by the requester or the desk. A request its package approves
without anyone goes from Submitted to Being granted at once. Approval outcomes and the
provisioning result are the system's moves: approvers decide, directories answer.

A grant: Scheduled (approved, starts later) -> Active -> Ended; a scheduled grant may end
before it starts (revoked, the person left). Ended is final: a grant is never revived, a new
one is made, so the history of who held what when stays true.
"""

from opsdesk.access.models import AccessRequestState, GrantState
from opsdesk.core.models.tickets import HistoryChange
from opsdesk.core.tickets.guards import needs_reason, requester_or_agent, system_only
from opsdesk.core.workflow import Effect, Transition, Workflow

S = AccessRequestState


def _approved(record, *, now, **_):
    return {"approved_at": now}


def _granted(record, *, now, **_):
    return {"granted_at": now, "resolved_at": now, "closed_at": now}


def _ended(record, *, now, **_):
    return {"closed_at": now}


OPEN = frozenset({S.SUBMITTED, S.AWAITING_APPROVAL, S.PROVISIONING})

REQUEST_WORKFLOW = Workflow(
    states=dict(S.choices),
    initial=S.SUBMITTED,
    transitions=(
        Transition(
            "request_approval",
            frozenset({S.SUBMITTED}),
            S.AWAITING_APPROVAL,
            "Ask for approval",
            (system_only,),
        ),
        Transition(
            "approve",
            frozenset({S.SUBMITTED, S.AWAITING_APPROVAL}),
            S.PROVISIONING,
            "Approve",
            (system_only,),
        ),
        Transition(
            "reject", frozenset({S.AWAITING_APPROVAL}), S.REJECTED, "Reject", (system_only,)
        ),
        Transition("grant", frozenset({S.PROVISIONING}), S.GRANTED, "Granted", (system_only,)),
        Transition("cancel", OPEN, S.CANCELLED, "Cancel", (requester_or_agent, needs_reason)),
    ),
    final=frozenset({S.GRANTED, S.REJECTED, S.CANCELLED}),
    effects={
        "request_approval": Effect(topic="approval_requested"),
        "approve": Effect(topic="approved", values=_approved),
        "reject": Effect(topic="rejected", values=_ended, clock="cancelled", replies=True),
        "grant": Effect(
            topic="granted", values=_granted, milestone=HistoryChange.RESOLVED, clock="resolved"
        ),
        "cancel": Effect(topic="cancelled", values=_ended, clock="cancelled"),
    },
)


G = GrantState

GRANT_WORKFLOW = Workflow(
    states=dict(G.choices),
    initial=G.SCHEDULED,
    transitions=(
        Transition("start", frozenset({G.SCHEDULED}), G.ACTIVE, "Start"),
        Transition("end", frozenset({G.SCHEDULED, G.ACTIVE}), G.ENDED, "End"),
    ),
    final=frozenset({G.ENDED}),
)
