"""Template helpers of the ticket platform: the tasks panel any ticket's page may show, and
the pill a state wears."""

from django import template

from opsdesk.core.tickets.registry import ticket_type_of

register = template.Library()


@register.inclusion_tag("core/tasks/_panel_body.html", takes_context=True)
def tasks_panel(context, record):
    from opsdesk.core.forms import TaskForm
    from opsdesk.core.tickets.task import tasks_of

    return {
        "record": record,
        "record_type": ticket_type_of(record).key,
        "tasks": list(tasks_of(record).select_related("assignment_group", "assignee")),
        "task_form": TaskForm(auto_id="id_task_%s"),
        "is_agent": context.get("is_agent"),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


@register.filter
def state_label_of(state, record) -> str:
    """The label ``record``'s workflow gives a stored state ("In progress" for in_progress);
    an unknown value reads as a plain word rather than an identifier."""
    label = ticket_type_of(record).workflow.states.get(state)
    if label is not None:
        return str(label)
    return str(state or "").replace("_", " ").capitalize()


def pill_for(kind, state: str) -> str:
    """What a state means for the requester, from its place in the record type's workflow:
    received, we are on it, we wait for you, done, closed or cancelled."""
    workflow = kind.workflow
    if state == workflow.initial:
        return "state-received"
    if state in workflow.waiting:
        return "state-waiting"
    if state in workflow.resolved:
        return "state-resolved"
    if state in workflow.final:
        return "state-cancelled" if "cancel" in state or "reject" in state else "state-closed"
    return "state-working"


@register.filter
def pill(record) -> str:
    """The CSS class of ``record``'s state pill (never the stored value itself)."""
    return pill_for(ticket_type_of(record), record.state)
