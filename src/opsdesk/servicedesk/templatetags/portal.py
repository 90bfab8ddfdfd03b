"""Portal wording for ticket states: the requester sees labels and a pill that means something."""

from django import template

from opsdesk.incidents.models import State

register = template.Library()

# Each state's pill says what it means for the requester: we are on it, we wait for you, done.
STATE_PILLS = {
    State.NEW: "state-received",
    State.IN_PROGRESS: "state-working",
    State.ON_HOLD: "state-waiting",
    State.RESOLVED: "state-resolved",
    State.CLOSED: "state-closed",
    State.CANCELLED: "state-cancelled",
}


@register.filter
def state_pill(state) -> str:
    """The CSS class of a state's pill (never the stored value itself)."""
    return STATE_PILLS.get(state, "state-other")


@register.filter
def state_label(state) -> str:
    """The label of a stored state value, e.g. from a timeline entry; unknown values read
    as a plain word rather than an identifier."""
    if state in State.values:
        return str(State(state).label)
    return str(state or "").replace("_", " ").capitalize()
