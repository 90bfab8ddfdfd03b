"""Labels for stored incident values shown on agent pages (timeline entries keep raw values)."""

from django import template

from opsdesk.incidents.models import State

register = template.Library()


@register.filter
def incident_state_label(state) -> str:
    """ "In progress" for ``in_progress``; an unknown value reads as a plain word."""
    if state in State.values:
        return str(State(state).label)
    return str(state or "").replace("_", " ").capitalize()
