"""The incident page's problem panel: the problems behind an incident, with the workaround."""

from django import template

from opsdesk.problems.selectors import problems_of
from opsdesk.problems.workflow import OPEN

register = template.Library()


@register.simple_tag
def problems_behind(incident) -> list:
    problems = problems_of(incident)
    for problem in problems:
        problem.open = problem.state in OPEN
    return problems


@register.simple_tag(takes_context=True)
def known_errors_for(context, incident) -> list:
    """Known errors that may explain an open incident, for the desk to apply."""
    from opsdesk.problems.selectors import known_error_suggestions

    return known_error_suggestions(
        viewer=context["request"].user,
        text=f"{incident.short_description} {incident.description}",
        service_id=incident.service_id,
        ci_id=incident.ci_id,
    )
