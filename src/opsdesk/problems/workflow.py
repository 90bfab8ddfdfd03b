"""The problem lifecycle as data.

New -> Assessed -> Root cause analysis -> Known error -> Fix in progress -> Resolved -> Closed;
Known error -> Resolved when the fix needs no project of its own; Known error -> Accepted (the
business lives with it, with a reason and a review date) -> Known error on review; Resolved ->
Root cause analysis when the fix did not hold; any open state -> Cancelled. Closed and Cancelled
are final.
"""

from opsdesk.core.tickets.guards import agents_only, needs_group, needs_reason
from opsdesk.core.workflow import Effect, Transition, Workflow
from opsdesk.problems.models import ProblemState

S = ProblemState


def needs_known_error(problem, **_):
    """A known error says how it shows, what causes it and how to work around it."""
    missing = {
        name: message
        for name, message in (
            ("symptoms", "Describe the symptoms the desk will recognise."),
            ("root_cause", "State the root cause."),
            ("workaround", "Give the workaround (or say there is none)."),
        )
        if not (getattr(problem, name) or "").strip()
    }
    return missing or None


def needs_fix(problem, *, reason="", **_):
    if (problem.permanent_fix or "").strip() or (reason or "").strip():
        return None
    return {"permanent_fix": "Say what the permanent fix was."}


def needs_acceptance(problem, *, reason="", review_on=None, **_):
    problems = {}
    if not (reason or "").strip():
        problems["reason"] = "Say why the business lives with it."
    if review_on is None:
        problems["review_on"] = "Pick the date it is looked at again."
    return problems or None


def _at(field):
    return lambda problem, *, now, **_: {} if getattr(problem, field) else {field: now}


def _accepted(problem, *, now, reason="", review_on=None, **_):
    return {"accepted_reason": (reason or "").strip(), "review_on": review_on}


def _resolved(problem, *, now, reason="", **_):
    # Resolving marks the known error fixed: recurrences are counted from here.
    values = {"resolved_at": now, "fixed_at": now}
    if (reason or "").strip() and not (problem.permanent_fix or "").strip():
        values["permanent_fix"] = reason.strip()
    return values


OPEN = frozenset(
    {S.NEW, S.ASSESSED, S.ROOT_CAUSE_ANALYSIS, S.KNOWN_ERROR, S.FIX_IN_PROGRESS, S.ACCEPTED}
)
STAFF = (agents_only,)

PROBLEM_WORKFLOW = Workflow(
    states=dict(S.choices),
    initial=S.NEW,
    transitions=(
        Transition("assess", frozenset({S.NEW}), S.ASSESSED, "Assessed", (*STAFF, needs_group)),
        Transition(
            "analyse",
            frozenset({S.ASSESSED}),
            S.ROOT_CAUSE_ANALYSIS,
            "Start root cause analysis",
            STAFF,
        ),
        Transition(
            "known_error",
            frozenset({S.ROOT_CAUSE_ANALYSIS}),
            S.KNOWN_ERROR,
            "Record as known error",
            (*STAFF, needs_known_error),
        ),
        Transition(
            "start_fix", frozenset({S.KNOWN_ERROR}), S.FIX_IN_PROGRESS, "Start the fix", STAFF
        ),
        Transition(
            "resolve",
            frozenset({S.KNOWN_ERROR, S.FIX_IN_PROGRESS}),
            S.RESOLVED,
            "Resolve",
            (*STAFF, needs_fix),
        ),
        Transition(
            "reopen",
            frozenset({S.RESOLVED}),
            S.ROOT_CAUSE_ANALYSIS,
            "The fix did not hold",
            (*STAFF, needs_reason),
        ),
        Transition("close", frozenset({S.RESOLVED}), S.CLOSED, "Close", STAFF),
        Transition(
            "accept",
            frozenset({S.KNOWN_ERROR}),
            S.ACCEPTED,
            "Accept the risk",
            (*STAFF, needs_acceptance),
        ),
        Transition("revisit", frozenset({S.ACCEPTED}), S.KNOWN_ERROR, "Review again", STAFF),
        Transition("cancel", OPEN, S.CANCELLED, "Cancel", (*STAFF, needs_reason)),
    ),
    final=frozenset({S.CLOSED, S.CANCELLED}),
    resolved=frozenset({S.RESOLVED}),
    waiting=frozenset({S.ACCEPTED}),
    effects={
        "assess": Effect(topic="assessed", values=_at("assessed_at")),
        "analyse": Effect(topic="analysis_started"),
        "known_error": Effect(topic="known_error", values=_at("root_cause_at")),
        "start_fix": Effect(topic="fix_started", values=_at("fix_started_at")),
        "resolve": Effect(
            topic="resolved", values=_resolved, milestone="resolved", clock="resolved"
        ),
        "reopen": Effect(
            topic="reopened",
            # The fix did not hold: the known error is not fixed any more.
            values=lambda p, *, now, **_: {"fixed_at": None},
            milestone="reopened",
            clock="reopened",
        ),
        "close": Effect(
            topic="closed", values=lambda p, *, now, **_: {"closed_at": now}, clock="closed"
        ),
        "accept": Effect(topic="accepted", values=_accepted),
        "revisit": Effect(topic="revisited"),
        "cancel": Effect(
            topic="cancelled", values=lambda p, *, now, **_: {"closed_at": now}, clock="cancelled"
        ),
    },
)
