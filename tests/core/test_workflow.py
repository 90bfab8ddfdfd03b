"""The state-machine helper every domain declares its lifecycle with."""

import pytest

from opsdesk.core.errors import TransitionRefused
from opsdesk.core.workflow import Transition, Workflow


class Ticket:
    def __init__(self, state, **kw):
        self.state = state
        self.__dict__.update(kw)


def needs_note(record, *, note=None, **_):
    return None if note else {"note": "A note is required."}


FLOW = Workflow(
    states={"new": "New", "open": "Open", "done": "Done"},
    initial="new",
    transitions=(
        Transition("start", frozenset({"new"}), "open"),
        Transition("finish", frozenset({"open"}), "done", guards=(needs_note,)),
    ),
    final=frozenset({"done"}),
)


def test_allowed_move_returns_its_transition():
    assert FLOW.check(Ticket("new"), "start").target == "open"


def test_refused_move_names_the_allowed_ones():
    with pytest.raises(TransitionRefused) as refused:
        FLOW.check(Ticket("new"), "finish", note="x")
    assert "Allowed from here: start" in refused.value.message


def test_final_state_allows_nothing():
    with pytest.raises(TransitionRefused, match="Allowed from here: none"):
        FLOW.check(Ticket("done"), "start")


def test_guard_failure_reports_its_field():
    with pytest.raises(TransitionRefused) as refused:
        FLOW.check(Ticket("open"), "finish")
    assert refused.value.fields == {"note": ["A note is required."]}
    assert FLOW.check(Ticket("open"), "finish", note="fixed").target == "done"


def test_unknown_action_is_refused():
    with pytest.raises(TransitionRefused, match="no action called"):
        FLOW.check(Ticket("new"), "explode")


def test_a_workflow_naming_an_unknown_state_does_not_load():
    with pytest.raises(ValueError, match="unknown states"):
        Workflow(
            states={"a": "A"}, initial="a", transitions=(Transition("go", frozenset({"a"}), "b"),)
        )
