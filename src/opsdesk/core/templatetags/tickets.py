"""Template helpers of the ticket platform: the tasks panel any ticket's page may show."""

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
