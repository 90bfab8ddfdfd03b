"""The incident lifecycle as data: states, allowed moves and the guards that protect them.

New -> In progress -> On hold -> In progress -> Resolved -> Closed; Resolved -> In progress
(reopen); On hold -> On hold (another hold reason); New / In progress / On hold -> Cancelled;
Closed and Cancelled are final. An agent may resolve straight from New (first-contact
resolution).
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from opsdesk.core.models.tickets import HistoryChange
from opsdesk.core.roles import is_agent
from opsdesk.core.tickets.guards import agents_only, needs_group, needs_reason
from opsdesk.core.workflow import Effect, Transition, Workflow
from opsdesk.incidents.models import HoldReason, State

DEFAULT_REOPEN_DAYS = 10


def reopen_window_days() -> int:
    return int(getattr(settings, "OPSDESK_INCIDENT_REOPEN_DAYS", DEFAULT_REOPEN_DAYS))


def needs_hold_reason(incident, *, hold_reason="", **_):
    if hold_reason not in HoldReason.values:
        choices = ", ".join(HoldReason.values)
        return {"hold_reason": f"Say why it is on hold ({choices})."}
    if incident.state == State.ON_HOLD and hold_reason == incident.hold_reason:
        return {"hold_reason": f"It is already on hold: {incident.get_hold_reason_display()}."}
    return None


def needs_resolution(incident, *, resolution_code=None, resolution_notes="", **_):
    problems = {}
    if resolution_code is None:
        problems["resolution_code"] = "A resolution code is required."
    elif not resolution_code.active:
        problems["resolution_code"] = "This resolution code is no longer in use."
    if not (resolution_notes or "").strip():
        problems["resolution_notes"] = "Resolution notes are required."
    return problems or None


def may_reopen(incident, *, actor=None, **_):
    """The caller, a watcher or an agent may reopen (a watcher needs to be signed in too)."""
    if actor is None or is_agent(actor):
        return None
    if actor.pk == incident.caller_id or incident.watchers.filter(pk=actor.pk).exists():
        return None
    return "Only the caller, a watcher or an agent may reopen this incident."


def within_reopen_window(incident, *, now=None, **_):
    now = now or timezone.now()
    days = reopen_window_days()
    if incident.resolved_at and now - incident.resolved_at > timedelta(days=days):
        return f"It was resolved more than {days} days ago; open a new incident instead."
    return None


def may_close(incident, *, actor=None, **_):
    """Agents close; the caller closes by confirming the resolution."""
    if actor is None or is_agent(actor) or actor.pk == incident.caller_id:
        return None
    return "Only the caller or an agent may close this incident."


OPEN = frozenset({State.NEW, State.IN_PROGRESS, State.ON_HOLD})


# --- what each move sets besides the state ----------------------------------------------------
def hold_values(incident, *, now, hold_reason="", **_) -> dict:
    return {"hold_reason": hold_reason}


def hold_body(incident, *, values, reason="", **_) -> str:
    """Only the reason changes: the state line alone would read "On hold → On hold". Said by
    the system, so it is no reply to the caller."""
    if incident.state != State.ON_HOLD or (reason or "").strip():
        return ""
    labels = dict(HoldReason.choices)
    return f"Hold reason {labels.get(incident.hold_reason, '—')} → {labels[values['hold_reason']]}."


def resume_values(incident, *, now, **_) -> dict:
    return {"hold_reason": ""}


def resolve_values(incident, *, now, resolution_code=None, resolution_notes="", **_) -> dict:
    return {
        "resolution_code": resolution_code,
        "resolution_notes": (resolution_notes or "").strip(),
        "resolved_at": now,
        "first_resolved_at": incident.first_resolved_at or now,
        "hold_reason": "",
    }


def resolve_body(incident, *, values, **_) -> str:
    return values["resolution_notes"]


def reopen_values(incident, *, now, **_) -> dict:
    return {
        "reopen_count": incident.reopen_count + 1,
        "resolution_code": None,
        "resolution_notes": "",
    }


def end_values(incident, *, now, **_) -> dict:
    return {"closed_at": now, "hold_reason": ""}


EFFECTS = {
    "start": Effect(topic="started"),
    # A hold with a message to the caller is a reply: the first response, though clocks pause.
    "hold": Effect(topic="held", values=hold_values, body=hold_body, replies=True),
    "resume": Effect(topic="resumed", values=resume_values),
    "resolve": Effect(
        topic="resolved",
        values=resolve_values,
        body=resolve_body,
        milestone=HistoryChange.RESOLVED,
        clock="resolved",
    ),
    "reopen": Effect(
        topic="reopened", values=reopen_values, milestone=HistoryChange.REOPENED, clock="reopened"
    ),
    "close": Effect(topic="closed", values=end_values, clock="closed"),
    "cancel": Effect(topic="cancelled", values=end_values, clock="cancelled"),
}

INCIDENT_WORKFLOW = Workflow(
    states=dict(State.choices),
    initial=State.NEW,
    transitions=(
        Transition(
            "start",
            frozenset({State.NEW}),
            State.IN_PROGRESS,
            "Start work",
            (agents_only, needs_group),
        ),
        # From On hold it changes the reason: the SLA policy pauses for some reasons only.
        Transition(
            "hold",
            frozenset({State.IN_PROGRESS, State.ON_HOLD}),
            State.ON_HOLD,
            "Put on hold",
            (agents_only, needs_hold_reason),
        ),
        Transition(
            "resume",
            frozenset({State.ON_HOLD}),
            State.IN_PROGRESS,
            "Resume",
            (agents_only, needs_group),
        ),
        Transition(
            "resolve",
            frozenset({State.NEW, State.IN_PROGRESS}),
            State.RESOLVED,
            "Resolve",
            (agents_only, needs_resolution),
        ),
        Transition(
            "reopen",
            frozenset({State.RESOLVED}),
            State.IN_PROGRESS,
            "Reopen",
            (may_reopen, within_reopen_window, needs_reason),
        ),
        Transition("close", frozenset({State.RESOLVED}), State.CLOSED, "Close", (may_close,)),
        Transition("cancel", OPEN, State.CANCELLED, "Cancel", (agents_only, needs_reason)),
    ),
    final=frozenset({State.CLOSED, State.CANCELLED}),
    resolved=frozenset({State.RESOLVED}),
    waiting=frozenset({State.ON_HOLD}),
    effects=EFFECTS,
)

ACTIONS = tuple(t.name for t in INCIDENT_WORKFLOW.transitions)
