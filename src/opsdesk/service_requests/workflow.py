"""Request items' lifecycle as data, and how a request's state follows its items.

An item: Submitted -> Awaiting approval -> Approved / Rejected -> In fulfilment ->
Information needed <-> In fulfilment -> Fulfilled -> Closed; Fulfilled -> In fulfilment when
the requester says it was not delivered; Cancelled from any open state. An item that needs no
approval goes from Submitted to Approved at once. Rejected, Closed and Cancelled are final.

Approval moves (approve, reject) and the plan's moves (start, fulfil) are the system's: they
happen because the approvers decided or the last task closed, whoever triggered it.
"""

from opsdesk.core.models.tickets import HistoryChange
from opsdesk.core.tickets.guards import agents_only, needs_reason, requester_or_agent, system_only
from opsdesk.core.workflow import Effect, Transition, Workflow
from opsdesk.service_requests.models import ItemState, RequestState

S = ItemState


def _approved(item, *, now, **_):
    return {"approved_at": now}


def _started(item, *, now, **_):
    return {} if item.fulfilment_started_at else {"fulfilment_started_at": now}


def _ended(item, *, now, reason="", **_):
    return {"closed_at": now, "close_reason": (reason or "").strip()}


def _fulfilled(item, *, now, **_):
    return {"resolved_at": now}


def _closed(item, *, now, **_):
    return {"closed_at": now}


OPEN = frozenset({S.SUBMITTED, S.AWAITING_APPROVAL, S.APPROVED, S.IN_FULFILMENT, S.INFO_NEEDED})

ITEM_WORKFLOW = Workflow(
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
            S.APPROVED,
            "Approve",
            (system_only,),
        ),
        Transition(
            "reject", frozenset({S.AWAITING_APPROVAL}), S.REJECTED, "Reject", (system_only,)
        ),
        Transition(
            "start", frozenset({S.APPROVED}), S.IN_FULFILMENT, "Start fulfilment", (agents_only,)
        ),
        Transition(
            "ask",
            frozenset({S.IN_FULFILMENT}),
            S.INFO_NEEDED,
            "Ask the requester",
            (agents_only, needs_reason),
        ),
        Transition(
            "answer",
            frozenset({S.INFO_NEEDED}),
            S.IN_FULFILMENT,
            "Give the information",
            (requester_or_agent,),
        ),
        Transition(
            "fulfil",
            frozenset({S.IN_FULFILMENT}),
            S.FULFILLED,
            "Mark fulfilled",
            (agents_only,),
        ),
        Transition(
            "reopen",
            frozenset({S.FULFILLED}),
            S.IN_FULFILMENT,
            "Not delivered",
            (requester_or_agent, needs_reason),
        ),
        Transition("close", frozenset({S.FULFILLED}), S.CLOSED, "Close", (requester_or_agent,)),
        Transition("cancel", OPEN, S.CANCELLED, "Cancel", (requester_or_agent, needs_reason)),
    ),
    final=frozenset({S.REJECTED, S.CLOSED, S.CANCELLED}),
    resolved=frozenset({S.FULFILLED}),
    waiting=frozenset({S.INFO_NEEDED}),
    effects={
        "request_approval": Effect(topic="approval_requested"),
        "approve": Effect(topic="approved", values=_approved),
        # Rejection ends the item with the approver's reason, told to the requester.
        "reject": Effect(topic="rejected", values=_ended, clock="cancelled", replies=True),
        "start": Effect(topic="fulfilment_started", values=_started),
        "ask": Effect(topic="info_needed", replies=True),
        "answer": Effect(topic="info_given"),
        "fulfil": Effect(
            topic="fulfilled",
            values=_fulfilled,
            milestone=HistoryChange.RESOLVED,
            clock="resolved",
        ),
        "reopen": Effect(topic="reopened", milestone=HistoryChange.REOPENED, clock="reopened"),
        "close": Effect(topic="closed", values=_closed, clock="closed"),
        "cancel": Effect(topic="cancelled", values=_ended, clock="cancelled"),
    },
)


# --- the request follows its items ------------------------------------------------------------
R = RequestState


def request_state_for(item_states: list[str]) -> str:
    """The request's state from its items' states.

    Waiting on approval while any item still is and none is being worked; in fulfilment while
    any item is open; once every item has ended: fulfilled while any fulfilled item is not yet
    closed, closed when any was delivered, else rejected or cancelled.
    """
    states = set(item_states)
    if not states:
        return R.SUBMITTED
    open_states = states & OPEN
    if open_states:
        if open_states <= {S.SUBMITTED}:
            return R.SUBMITTED
        if open_states <= {S.SUBMITTED, S.AWAITING_APPROVAL}:
            return R.AWAITING_APPROVAL
        return R.IN_FULFILMENT
    if S.FULFILLED in states:
        return R.FULFILLED
    if S.CLOSED in states:
        return R.CLOSED
    if S.REJECTED in states:
        return R.REJECTED
    return R.CANCELLED


REQUEST_OPEN = frozenset({R.SUBMITTED, R.AWAITING_APPROVAL, R.IN_FULFILMENT})

# The request's moves are the system's, following its items: one per target state.
REQUEST_WORKFLOW = Workflow(
    states=dict(R.choices),
    initial=R.SUBMITTED,
    transitions=tuple(
        Transition(
            f"follow_{target}",
            frozenset(set(R.values) - {target} - {R.CLOSED, R.REJECTED, R.CANCELLED}),
            target,
            R(target).label,
            (system_only,),
        )
        for target in R.values
    ),
    final=frozenset({R.CLOSED, R.REJECTED, R.CANCELLED}),
    resolved=frozenset({R.FULFILLED}),
    effects={
        f"follow_{R.SUBMITTED}": Effect(topic="submitted"),
        f"follow_{R.AWAITING_APPROVAL}": Effect(topic="awaiting_approval"),
        f"follow_{R.IN_FULFILMENT}": Effect(topic="in_fulfilment"),
        f"follow_{R.FULFILLED}": Effect(
            topic="fulfilled",
            values=lambda r, *, now, **_: {"resolved_at": now},
            milestone=HistoryChange.RESOLVED,
        ),
        f"follow_{R.CLOSED}": Effect(
            topic="closed", values=lambda r, *, now, **_: {"closed_at": now}
        ),
        f"follow_{R.REJECTED}": Effect(
            topic="rejected", values=lambda r, *, now, **_: {"closed_at": now}
        ),
        f"follow_{R.CANCELLED}": Effect(
            topic="cancelled", values=lambda r, *, now, **_: {"closed_at": now}
        ),
    },
)
