"""Template helpers of request fulfilment: a plan task's item and its answers."""

from django import template

from opsdesk.service_requests.selectors import answers_shown, plan_task_of

register = template.Library()


@register.simple_tag
def plan_step_of(task):
    """The plan row of ``task`` (its item, step, automation and answers), or None."""
    row = plan_task_of(task)
    if row is not None:
        row.variables = answers_shown(row.item)
    return row
