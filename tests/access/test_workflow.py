"""Access requests' and grants' moves against tables written out here, never read from the
workflow."""

import pytest

from opsdesk.access.workflow import GRANT_WORKFLOW, REQUEST_WORKFLOW
from opsdesk.core.errors import NotPermitted, TransitionRefused

REQUEST_STATES = [
    "submitted",
    "awaiting_approval",
    "provisioning",
    "granted",
    "rejected",
    "cancelled",
]

# action -> (states it is allowed from, state it leads to)
REQUEST_MOVES = {
    "request_approval": ({"submitted"}, "awaiting_approval"),
    "approve": ({"submitted", "awaiting_approval"}, "provisioning"),
    "reject": ({"awaiting_approval"}, "rejected"),
    "grant": ({"provisioning"}, "granted"),
    "cancel": ({"submitted", "awaiting_approval", "provisioning"}, "cancelled"),
}
REQUEST_FINAL = {"granted", "rejected", "cancelled"}

GRANT_STATES = ["scheduled", "active", "ended"]
GRANT_MOVES = {
    "start": ({"scheduled"}, "active"),
    "end": ({"scheduled", "active"}, "ended"),
}


class Request:
    """Just enough of an access request for the workflow's guards."""

    def __init__(self, state):
        self.state = state
        self.caller_id = 1
        self.requested_for_id = 2


class Grant:
    def __init__(self, state):
        self.state = state


@pytest.mark.parametrize("state,action", [(s, a) for s in REQUEST_STATES for a in REQUEST_MOVES])
def test_each_request_move_is_allowed_exactly_where_the_table_says(state, action):
    sources, target = REQUEST_MOVES[action]
    if state in sources:
        moved = REQUEST_WORKFLOW.check(Request(state), action, actor=None, reason="because")
        assert moved.target == target
    else:
        with pytest.raises(TransitionRefused):
            REQUEST_WORKFLOW.check(Request(state), action, actor=None, reason="because")


@pytest.mark.parametrize("state,action", [(s, a) for s in GRANT_STATES for a in GRANT_MOVES])
def test_each_grant_move_is_allowed_exactly_where_the_table_says(state, action):
    sources, target = GRANT_MOVES[action]
    if state in sources:
        assert GRANT_WORKFLOW.check(Grant(state), action).target == target
    else:
        with pytest.raises(TransitionRefused):
            GRANT_WORKFLOW.check(Grant(state), action)


def test_the_tables_name_every_move_and_the_final_states():
    assert {t.name for t in REQUEST_WORKFLOW.transitions} == set(REQUEST_MOVES)
    assert REQUEST_WORKFLOW.final == REQUEST_FINAL
    assert {t.name for t in GRANT_WORKFLOW.transitions} == set(GRANT_MOVES)
    assert GRANT_WORKFLOW.final == {"ended"}


class Person:
    def __init__(self, pk, roles=()):
        self.pk = pk
        self.is_authenticated = True
        self.is_active = True
        self.is_superuser = False
        self._opsdesk_roles = frozenset(roles)


REQUESTER, FOR_WHOM, STRANGER = Person(1), Person(2), Person(9)
AGENT = Person(7, roles={"agent"})


@pytest.mark.parametrize(
    "state,action,actor,allowed",
    [
        # Approvers decide and directories answer: nobody types these moves in.
        ("awaiting_approval", "approve", AGENT, False),
        ("awaiting_approval", "approve", REQUESTER, False),
        ("awaiting_approval", "reject", AGENT, False),
        ("submitted", "request_approval", AGENT, False),
        ("provisioning", "grant", AGENT, False),
        # The requester, the person it is for and the desk may cancel; nobody else.
        ("awaiting_approval", "cancel", REQUESTER, True),
        ("awaiting_approval", "cancel", FOR_WHOM, True),
        ("provisioning", "cancel", AGENT, True),
        ("awaiting_approval", "cancel", STRANGER, False),
    ],
)
def test_who_may_make_each_request_move(state, action, actor, allowed):
    if allowed:
        REQUEST_WORKFLOW.check(Request(state), action, actor=actor, reason="because")
    else:
        with pytest.raises(NotPermitted):
            REQUEST_WORKFLOW.check(Request(state), action, actor=actor, reason="because")


def test_cancelling_needs_a_reason():
    with pytest.raises(TransitionRefused) as refused:
        REQUEST_WORKFLOW.check(Request("awaiting_approval"), "cancel", actor=None, reason=" ")
    assert refused.value.fields["reason"] == ["Give a reason."]
