"""The periodic sweep: reminders, and what a stage does when nobody answers in time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.approvals.models import ApprovalRequest
from opsdesk.approvals.services import approval_start, approval_sweep
from tests.approvals.conftest import make_scheme
from tests.approvals.helpers import decide, facts

pytestmark = pytest.mark.django_db


def start(order, actor, privileged=False, **stage):
    return approval_start(
        subject=order,
        scheme=make_scheme(stage),
        answers={},
        requested_for=None,
        actor=actor,
        privileged=privileged,
    )


def later(hours):
    return timezone.now() + timedelta(hours=hours, minutes=1)


def requests_of(approval):
    return {
        r.approver.username: (r.state, r.decided_via)
        for r in ApprovalRequest.objects.filter(run__approval=approval).select_related("approver")
    }


def test_nothing_happens_before_the_timeout(order, desk_agent, approvers):
    approval = start(
        order, desk_agent, from_users=[approvers[0]], timeout_hours=24, timeout_action="reject"
    )
    assert approval_sweep(now=timezone.now() + timedelta(hours=23)) == {
        "reminders": 0,
        "escalated": 0,
        "approved": 0,
        "rejected": 0,
    }
    approval.refresh_from_db()
    assert approval.state == "pending"


def test_escalation_hands_the_stage_to_the_fallback_approver(order, desk_agent, approvers):
    first, second, fallback = approvers[0], approvers[1], approvers[4]
    approval = start(
        order,
        desk_agent,
        rule="all",
        from_users=[first, second],
        fallback_approver=fallback,
        timeout_hours=8,
        timeout_action="escalate",
    )
    decide(approval, first, "approve")
    assert approval_sweep(now=later(8))["escalated"] == 1
    assert requests_of(approval) == {
        "approver1": ("approved", "inbox"),
        "approver2": ("not_needed", ""),
        "approver5": ("pending", ""),
    }
    assert facts("approval.requested")[-1].payload["approver_ids"] == [fallback.pk]
    # A second sweep does not escalate again; the fallback alone decides the stage.
    assert approval_sweep(now=later(20))["escalated"] == 0
    decide(approval, fallback, "approve")
    approval.refresh_from_db()
    assert approval.state == "approved"


# timeout action, privileged -> approval state after the sweep, how the request ended
AUTO = [
    ("approve", False, "approved", ("approved", "timeout")),
    ("reject", False, "rejected", ("rejected", "timeout")),
    ("reject", True, "rejected", ("rejected", "timeout")),
    ("approve", True, "pending", ("pending", "")),  # privileged: never approved by silence
]


@pytest.mark.parametrize("action,privileged,state,request_end", AUTO)
def test_automatic_decisions_at_timeout(
    order, desk_agent, approvers, action, privileged, state, request_end
):
    approval = start(
        order,
        desk_agent,
        privileged=privileged,
        from_users=[approvers[0]],
        timeout_hours=48,
        timeout_action=action,
    )
    approval_sweep(now=later(48))
    approval.refresh_from_db()
    assert approval.state == state
    assert requests_of(approval)["approver1"] == request_end
    if state == "rejected":
        assert approval.reason == "No decision within 48 hours. Rejected automatically."


def test_privileged_auto_approve_escalates_to_the_fallback_instead(order, desk_agent, approvers):
    approval = start(
        order,
        desk_agent,
        privileged=True,
        from_users=[approvers[0]],
        fallback_approver=approvers[4],
        timeout_hours=4,
        timeout_action="approve",
    )
    assert approval_sweep(now=later(4))["escalated"] == 1
    approval.refresh_from_db()
    assert approval.state == "pending"
    assert requests_of(approval)["approver5"] == ("pending", "")
    assert "never approved automatically" in approval.runs.get().note


def test_reminders_every_interval_while_pending(order, desk_agent, approvers):
    approval = start(order, desk_agent, rule="all", from_users=approvers[:2], reminder_hours=24)
    assert approval_sweep(now=later(12))["reminders"] == 0
    assert approval_sweep(now=later(24))["reminders"] == 2
    # Within the next interval nobody is reminded again.
    assert approval_sweep(now=later(30))["reminders"] == 0
    decide(approval, approvers[0], "approve")
    assert approval_sweep(now=later(49))["reminders"] == 1
    reminded = [f.payload["approver_ids"] for f in facts("approval.reminder")]
    assert reminded == [[approvers[0].pk], [approvers[1].pk], [approvers[1].pk]]
