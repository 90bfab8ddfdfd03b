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
