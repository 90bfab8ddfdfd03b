"""Request items' moves against a table written out here, never read from the workflow."""

import pytest

from opsdesk.core.errors import NotPermitted, TransitionRefused
from opsdesk.service_requests.workflow import ITEM_WORKFLOW, request_state_for

STATES = [
    "submitted",
    "awaiting_approval",
    "approved",
    "rejected",
    "in_fulfilment",
    "info_needed",
    "fulfilled",
    "closed",
    "cancelled",
]

# action -> (states it is allowed from, state it leads to)
ALLOWED = {
    "request_approval": ({"submitted"}, "awaiting_approval"),
    "approve": ({"submitted", "awaiting_approval"}, "approved"),
    "reject": ({"awaiting_approval"}, "rejected"),
    "start": ({"approved"}, "in_fulfilment"),
    "ask": ({"in_fulfilment"}, "info_needed"),
    "answer": ({"info_needed"}, "in_fulfilment"),
    "fulfil": ({"in_fulfilment"}, "fulfilled"),
    "reopen": ({"fulfilled"}, "in_fulfilment"),
    "close": ({"fulfilled"}, "closed"),
    "cancel": (
        {"submitted", "awaiting_approval", "approved", "in_fulfilment", "info_needed"},
        "cancelled",
    ),
}
FINAL = {"rejected", "closed", "cancelled"}


class Item:
    """Just enough of an item for the workflow's guards."""

    def __init__(self, state):
        self.state = state
        self.caller_id = 1
        self.requested_for_id = 2
        self.assignment_group_id = 5


CASES = [(state, action) for state in STATES for action in ALLOWED]


@pytest.mark.parametrize("state,action", CASES)
def test_each_move_is_allowed_exactly_where_the_table_says(state, action):
    sources, target = ALLOWED[action]
    item = Item(state)
    if state in sources:
        transition = ITEM_WORKFLOW.check(item, action, actor=None, reason="because")
        assert transition.target == target
    else:
        with pytest.raises(TransitionRefused):
            ITEM_WORKFLOW.check(item, action, actor=None, reason="because")


def test_the_table_names_every_move_and_the_final_states():
    assert {t.name for t in ITEM_WORKFLOW.transitions} == set(ALLOWED)
    assert ITEM_WORKFLOW.final == FINAL


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
        # Approval outcomes and the plan's own moves are the system's alone.
        ("awaiting_approval", "approve", AGENT, False),
        ("awaiting_approval", "approve", REQUESTER, False),
        ("awaiting_approval", "reject", AGENT, False),
        ("submitted", "request_approval", AGENT, False),
        # The desk works the item.
        ("approved", "start", AGENT, True),
        ("approved", "start", REQUESTER, False),
        ("in_fulfilment", "ask", AGENT, True),
        ("in_fulfilment", "ask", REQUESTER, False),
        ("in_fulfilment", "fulfil", AGENT, True),
        ("in_fulfilment", "fulfil", FOR_WHOM, False),
        # The requester and the person it is for answer, confirm, reopen and cancel.
        ("info_needed", "answer", REQUESTER, True),
        ("info_needed", "answer", FOR_WHOM, True),
        ("info_needed", "answer", STRANGER, False),
        ("fulfilled", "close", REQUESTER, True),
        ("fulfilled", "reopen", FOR_WHOM, True),
        ("fulfilled", "close", STRANGER, False),
        ("awaiting_approval", "cancel", REQUESTER, True),
        ("awaiting_approval", "cancel", STRANGER, False),
        ("in_fulfilment", "cancel", AGENT, True),
    ],
)
def test_who_may_make_each_move(state, action, actor, allowed):
    item = Item(state)
    if allowed:
        ITEM_WORKFLOW.check(item, action, actor=actor, reason="because")
    else:
        with pytest.raises(NotPermitted):
            ITEM_WORKFLOW.check(item, action, actor=actor, reason="because")


@pytest.mark.parametrize("action", ["ask", "reopen", "cancel"])
def test_moves_that_need_a_reason_refuse_without_one(action):
    sources, _ = ALLOWED[action]
    item = Item(sorted(sources)[0])
    with pytest.raises(TransitionRefused) as refused:
        ITEM_WORKFLOW.check(item, action, actor=None, reason="  ")
    assert "reason" in refused.value.fields


@pytest.mark.parametrize(
    "items,request_state",
    [
        ([], "submitted"),
        (["submitted"], "submitted"),
        (["awaiting_approval"], "awaiting_approval"),
        (["awaiting_approval", "submitted"], "awaiting_approval"),
        (["awaiting_approval", "in_fulfilment"], "in_fulfilment"),
        (["approved"], "in_fulfilment"),
        (["info_needed"], "in_fulfilment"),
        (["fulfilled", "in_fulfilment"], "in_fulfilment"),
        (["fulfilled"], "fulfilled"),
        (["fulfilled", "closed"], "fulfilled"),
        (["fulfilled", "rejected"], "fulfilled"),
        (["closed", "cancelled"], "closed"),
        (["closed"], "closed"),
        (["rejected", "cancelled"], "rejected"),
        (["rejected"], "rejected"),
        (["cancelled"], "cancelled"),
    ],
)
def test_a_request_follows_its_items(items, request_state):
    assert request_state_for(items) == request_state
