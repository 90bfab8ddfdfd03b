"""Portal wording for ticket states: the requester sees labels and a pill that means something."""

from django import template

from opsdesk.core.templatetags.tickets import pill_for
from opsdesk.core.tickets.registry import ticket_types

register = template.Library()


def _states() -> tuple[dict[str, str], dict[str, str]]:
    """(state -> pill, state -> label) over every registered record type, first one wins."""
    pills: dict[str, str] = {}
    labels: dict[str, str] = {}
    for kind in ticket_types():
        for state, label in kind.workflow.states.items():
            pills.setdefault(state, pill_for(kind, state))
            labels.setdefault(state, str(label))
    return pills, labels


@register.filter
def state_pill(state) -> str:
    """The CSS class of a state's pill (never the stored value itself)."""
    return _states()[0].get(state, "state-other")


@register.filter
def state_label(state) -> str:
    """The label of a stored state value, e.g. from a timeline entry; unknown values read
    as a plain word rather than an identifier."""
    label = _states()[1].get(state)
    if label is not None:
        return label
    return str(state or "").replace("_", " ").capitalize()


@register.filter
def ticket_pill(row) -> str:
    """The pill of one portal line (``selectors.PortalTicket``), by its own record type's
    workflow: two types may give one stored state different meanings."""
    return pill_for(row.kind, row.state)


@register.simple_tag
def survey_of(record) -> dict:
    """The record's survey, if asked, and the token of its page when not answered yet."""
    from opsdesk.servicedesk.selectors import survey_for
    from opsdesk.servicedesk.surveys import survey_token

    survey = survey_for(record=record)
    token = survey_token(survey) if survey is not None and not survey.answered else ""
    return {"survey": survey, "token": token}
