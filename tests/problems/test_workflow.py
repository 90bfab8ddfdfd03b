"""Problem moves against a table written out here, never read from the workflow."""

import datetime

import pytest

from opsdesk.core.errors import NotPermitted, TransitionRefused
from opsdesk.problems.workflow import PROBLEM_WORKFLOW

STATES = [
    "new",
    "assessed",
    "root_cause_analysis",
    "known_error",
    "fix_in_progress",
    "resolved",
    "closed",
    "accepted",
    "cancelled",
]
OPEN = {"new", "assessed", "root_cause_analysis", "known_error", "fix_in_progress", "accepted"}
ALLOWED = {
    "assess": ({"new"}, "assessed"),
    "analyse": ({"assessed"}, "root_cause_analysis"),
    "known_error": ({"root_cause_analysis"}, "known_error"),
    "start_fix": ({"known_error"}, "fix_in_progress"),
    "resolve": ({"known_error", "fix_in_progress"}, "resolved"),
    "reopen": ({"resolved"}, "root_cause_analysis"),
    "close": ({"resolved"}, "closed"),
    "accept": ({"known_error"}, "accepted"),
    "revisit": ({"accepted"}, "known_error"),
    "cancel": (OPEN, "cancelled"),
}


class Meta:
    verbose_name = "problem"


class Problem:
    """A problem with everything every guard asks for."""

    _meta = Meta

    def __init__(self, state, **fields):
        self.state = state
        self.assignment_group_id = 3
        self.symptoms = "Checkout spins"
        self.root_cause = "Pool too small"
        self.workaround = "Retry after a minute"
        self.permanent_fix = "Pool raised to 200"
        self.__dict__.update(fields)


FULL = {"reason": "because", "review_on": datetime.date(2027, 3, 1)}


@pytest.mark.parametrize("state,action", [(s, a) for s in STATES for a in ALLOWED])
def test_each_move_is_allowed_exactly_where_the_table_says(state, action):
    sources, target = ALLOWED[action]
    if state in sources:
        assert PROBLEM_WORKFLOW.check(Problem(state), action, actor=None, **FULL).target == target
    else:
        with pytest.raises(TransitionRefused):
            PROBLEM_WORKFLOW.check(Problem(state), action, actor=None, **FULL)


def test_the_table_names_every_move_and_the_final_states():
    assert {t.name for t in PROBLEM_WORKFLOW.transitions} == set(ALLOWED)
    assert PROBLEM_WORKFLOW.final == {"closed", "cancelled"}


@pytest.mark.parametrize(
    "action,state,fields,kwargs,field",
    [
        ("assess", "new", {"assignment_group_id": None}, {}, "assignment_group"),
        ("known_error", "root_cause_analysis", {"root_cause": ""}, {}, "root_cause"),
        ("known_error", "root_cause_analysis", {"symptoms": " "}, {}, "symptoms"),
        ("known_error", "root_cause_analysis", {"workaround": ""}, {}, "workaround"),
        ("resolve", "fix_in_progress", {"permanent_fix": ""}, {"reason": ""}, "permanent_fix"),
        ("accept", "known_error", {}, {"reason": "", "review_on": None}, "reason"),
        ("accept", "known_error", {}, {"reason": "cheap", "review_on": None}, "review_on"),
        ("reopen", "resolved", {}, {"reason": ""}, "reason"),
        ("cancel", "new", {}, {"reason": ""}, "reason"),
    ],
)
def test_moves_refuse_what_they_need(action, state, fields, kwargs, field):
    with pytest.raises(TransitionRefused) as refused:
        PROBLEM_WORKFLOW.check(Problem(state, **fields), action, actor=None, **kwargs)
    assert field in refused.value.fields


class Person:
    def __init__(self, roles):
        self.pk = 5
        self.is_authenticated = self.is_active = True
        self.is_superuser = False
        self._opsdesk_roles = frozenset(roles)


def test_requesters_make_no_moves():
    with pytest.raises(NotPermitted):
        PROBLEM_WORKFLOW.check(Problem("new"), "assess", actor=Person({"requester"}))
    PROBLEM_WORKFLOW.check(Problem("new"), "assess", actor=Person({"problem manager"}))
