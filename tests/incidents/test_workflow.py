"""Every allowed and every refused move of the incident lifecycle, and each guard."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.core.errors import NotPermitted, TransitionRefused
from opsdesk.core.models import OutboxEvent, TimelineEntry
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory
from opsdesk.incidents.models import State
from opsdesk.incidents.services import incident_transition
from opsdesk.incidents.testing import IncidentFactory, resolution_code
from opsdesk.incidents.workflow import INCIDENT_WORKFLOW

pytestmark = pytest.mark.django_db

# Written out here, not read from the workflow under test: a move added or lost by mistake
# fails ``test_the_workflow_is_exactly_this_table``.
STATES = ["new", "in_progress", "on_hold", "resolved", "closed", "cancelled"]
ACTIONS = ["start", "hold", "resume", "resolve", "reopen", "close", "cancel"]
MOVES = {
    ("new", "start"): "in_progress",
    ("new", "resolve"): "resolved",  # first-contact resolution
    ("new", "cancel"): "cancelled",
    ("in_progress", "hold"): "on_hold",
    ("in_progress", "resolve"): "resolved",
    ("in_progress", "cancel"): "cancelled",
    ("on_hold", "hold"): "on_hold",  # a new hold reason: the clocks may pause or resume
    ("on_hold", "resume"): "in_progress",
    ("on_hold", "cancel"): "cancelled",
    ("resolved", "reopen"): "in_progress",
    ("resolved", "close"): "closed",
}
ALLOWED = sorted(MOVES)
REFUSED = [(s, a) for s in STATES for a in ACTIONS if (s, a) not in MOVES]


def test_the_workflow_is_exactly_this_table():
    table = {(s, t.name): t.target for t in INCIDENT_WORKFLOW.transitions for s in t.sources}
    assert table == MOVES
    assert sorted(State.values) == sorted(STATES)


def good_arguments(action: str) -> dict:
    return {
        "hold": {"hold_reason": "awaiting_vendor"},
        "resolve": {"resolution_code": resolution_code(), "resolution_notes": "Rebooted it."},
        "reopen": {"reason": "It broke again."},
        "cancel": {"reason": "Raised twice by mistake."},
    }.get(action, {})


def incident_in(state, **fields):
    if state == State.RESOLVED:
        fields.setdefault("resolved_at", timezone.now() - timedelta(hours=1))
    if state == State.ON_HOLD:
        fields.setdefault("hold_reason", "awaiting_caller")
    return IncidentFactory(state=state, **fields)


@pytest.mark.parametrize(("state", "action"), ALLOWED)
def test_allowed_transition_moves_state_and_records_it(state, action, desk_agent):
    incident = incident_in(state)
    target = MOVES[(state, action)]
    updated = incident_transition(
        actor=desk_agent, incident=incident, action=action, **good_arguments(action)
    )
    assert updated.state == target
    assert updated.version == incident.version + 1
    change = TimelineEntry.objects.filter(object_id=str(incident.pk), kind="state_change").last()
    assert change.data == {"field": "state", "from": state, "to": target}
    assert OutboxEvent.objects.filter(topic="incident.state_changed").exists()


@pytest.mark.parametrize(("state", "action"), REFUSED)
def test_refused_transition_names_the_allowed_ones(state, action, desk_agent):
    incident = incident_in(state)
    with pytest.raises(TransitionRefused) as refusal:
        incident_transition(
            actor=desk_agent, incident=incident, action=action, **good_arguments(action)
        )
    allowed = [a for (s, a) in MOVES if s == state] or ["none"]
    assert all(name in refusal.value.message for name in allowed)
    incident.refresh_from_db()
    assert incident.state == state
    assert not TimelineEntry.objects.filter(object_id=str(incident.pk)).exists()


def test_closed_and_cancelled_are_final():
    assert INCIDENT_WORKFLOW.allowed(State.CLOSED) == []
    assert INCIDENT_WORKFLOW.allowed(State.CANCELLED) == []


def test_resolving_needs_a_code_and_notes(desk_agent):
    incident = incident_in(State.IN_PROGRESS)
    with pytest.raises(TransitionRefused) as refusal:
        incident_transition(actor=desk_agent, incident=incident, action="resolve")
    assert set(refusal.value.fields) == {"resolution_code", "resolution_notes"}


def test_resolving_records_first_and_latest_resolution(desk_agent):
    incident = incident_in(State.IN_PROGRESS)
    first = incident_transition(
        actor=desk_agent, incident=incident, action="resolve", **good_arguments("resolve")
    )
    again = incident_transition(
        actor=desk_agent, incident=first, action="reopen", reason="Still broken"
    )
    later = timezone.now() + timedelta(hours=2)
    final = incident_transition(
        actor=desk_agent, incident=again, action="resolve", now=later, **good_arguments("resolve")
    )
    assert final.first_resolved_at == first.resolved_at
    assert final.resolved_at == later
    assert final.reopen_count == 1


def test_starting_work_needs_a_group(desk_agent):
    incident = incident_in(State.NEW, assignment_group=None)
    with pytest.raises(TransitionRefused) as refusal:
        incident_transition(actor=desk_agent, incident=incident, action="start")
    assert "assignment_group" in refusal.value.fields


def test_hold_needs_a_known_reason(desk_agent):
    incident = incident_in(State.IN_PROGRESS)
    with pytest.raises(TransitionRefused) as refusal:
        incident_transition(actor=desk_agent, incident=incident, action="hold", hold_reason="lunch")
    assert "hold_reason" in refusal.value.fields
    held = incident_transition(
        actor=desk_agent, incident=incident, action="hold", hold_reason="awaiting_change"
    )
    assert held.hold_reason == "awaiting_change"
    resumed = incident_transition(actor=desk_agent, incident=held, action="resume")
    assert resumed.hold_reason == ""


def test_cancel_needs_a_reason(desk_agent):
    with pytest.raises(TransitionRefused) as refusal:
        incident_transition(actor=desk_agent, incident=incident_in(State.NEW), action="cancel")
    assert "reason" in refusal.value.fields


def test_caller_and_watcher_may_reopen_a_stranger_may_not(caller):
    watcher = UserFactory(roles=[Role.REQUESTER])
    stranger = UserFactory(roles=[Role.REQUESTER])
    incident = incident_in(State.RESOLVED, caller=caller, watchers=[watcher])
    with pytest.raises(NotPermitted):
        incident_transition(actor=stranger, incident=incident, action="reopen", reason="x")
    reopened = incident_transition(
        actor=watcher, incident=incident, action="reopen", reason="Same error"
    )
    assert reopened.state == State.IN_PROGRESS
    second = incident_in(State.RESOLVED, caller=caller)
    assert (
        incident_transition(actor=caller, incident=second, action="reopen", reason="No").state
        == State.IN_PROGRESS
    )


def test_reopen_window_is_configurable(settings, desk_agent):
    settings.OPSDESK_INCIDENT_REOPEN_DAYS = 2
    old = incident_in(State.RESOLVED, resolved_at=timezone.now() - timedelta(days=3))
    with pytest.raises(TransitionRefused) as refusal:
        incident_transition(actor=desk_agent, incident=old, action="reopen", reason="again")
    assert "2 days" in refusal.value.message
    settings.OPSDESK_INCIDENT_REOPEN_DAYS = 5
    assert (
        incident_transition(actor=desk_agent, incident=old, action="reopen", reason="again").state
        == State.IN_PROGRESS
    )


@pytest.mark.parametrize("action", ["start", "hold", "resolve", "cancel"])
def test_a_requester_cannot_work_their_own_incident(action, caller):
    state = State.IN_PROGRESS if action == "hold" else State.NEW
    incident = incident_in(state, caller=caller)
    with pytest.raises(NotPermitted) as refusal:
        incident_transition(
            actor=caller, incident=incident, action=action, **good_arguments(action)
        )
    assert "staff" in refusal.value.message


def test_a_stale_version_is_refused(desk_agent):
    from opsdesk.core.errors import StaleVersion

    incident = incident_in(State.NEW)
    incident_transition(actor=desk_agent, incident=incident, action="start")
    with pytest.raises(StaleVersion):
        incident_transition(
            actor=desk_agent,
            incident=incident,
            action="cancel",
            reason="dup",
            expected_version=incident.version,
        )
