"""The ticket learns the outcome in the deciding transaction; every decision leaves its
audit entry, timeline entry and fact."""

import pytest
from django.db import transaction

from opsdesk.approvals import hooks
from opsdesk.approvals.models import Approval, ApprovalRequest
from opsdesk.approvals.services import approval_cancel, approval_start
from opsdesk.core.errors import TransitionRefused, ValidationFailed
from opsdesk.core.models import AuditEntry
from opsdesk.core.timeline import timeline_for
from tests.approvals.conftest import make_scheme
from tests.approvals.helpers import decide, facts
from tests.ticketapp.models import WorkOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    calls = []

    def callback(*, subject, approval, outcome, actor):
        assert transaction.get_connection().in_atomic_block
        calls.append((subject.number, outcome, approval.reason, actor))

    hooks.on_outcome("work_order", callback)
    yield calls
    hooks.forget_outcome("work_order", callback)


def start(order, actor, people):
    return approval_start(
        subject=order,
        scheme=make_scheme({"from_users": people}),
        answers={"amount": 900},
        requested_for=None,
        actor=actor,
    )


def test_the_ticket_hears_approval_with_the_actor(order, desk_agent, approvers, heard):
    approval = start(order, desk_agent, approvers[:1])
    assert heard == []
    decide(approval, approvers[0], "approve")
    assert heard == [(order.number, "approved", "", approvers[0])]
    assert facts("approval.approved")[0].payload["approval_id"] == approval.pk


def test_the_ticket_hears_rejection_with_the_comment_as_reason(order, desk_agent, approvers, heard):
    approval = start(order, desk_agent, approvers[:1])
    decide(approval, approvers[0], "reject", comment="Over the quarterly budget")
    assert heard == [(order.number, "rejected", "Over the quarterly budget", approvers[0])]
    (fact,) = facts("approval.rejected")
    assert fact.payload["reason"] == "Over the quarterly budget"
    notes = [e.body for e in timeline_for(record=order)]
    assert any("rejected (stage “Stage 1”): Over the quarterly budget" in n for n in notes)
    assert AuditEntry.objects.filter(action="approval.rejected").exists()
    assert AuditEntry.objects.filter(action="approval_request.rejected").exists()


def test_a_failing_callback_rolls_the_decision_back(order, desk_agent, approvers):
    approval = start(order, desk_agent, approvers[:1])

    def refuse(**kwargs):
        raise ValidationFailed("The item cannot move now.")

    hooks.on_outcome(WorkOrder, refuse)
    try:
        with pytest.raises(ValidationFailed):
            decide(approval, approvers[0], "approve")
    finally:
        hooks.forget_outcome(WorkOrder, refuse)
    approval.refresh_from_db()
    assert approval.state == "pending"
    assert ApprovalRequest.objects.get(run__approval=approval).state == "pending"
    assert facts("approval.approved") == [] and facts("approval.decided") == []


def test_a_second_decision_on_a_decided_request_is_refused(order, desk_agent, approvers):
    from opsdesk.approvals.services import AlreadyDecided, approval_decide

    approval = start(order, desk_agent, approvers[:1])
    request = decide(approval, approvers[0], "approve")
    with pytest.raises(AlreadyDecided):
        approval_decide(request=request, decision="reject", actor=approvers[0], via="inbox")


def test_cancel_releases_the_approvers_and_tells_no_callback(order, desk_agent, approvers, heard):
    approval = start(order, desk_agent, approvers[:2])
    approval_cancel(approval=approval, actor=desk_agent, reason="Item withdrawn")
    approval.refresh_from_db()
    assert approval.state == "cancelled"
    assert set(ApprovalRequest.objects.values_list("state", flat=True)) == {"not_needed"}
    assert heard == [] and len(facts("approval.cancelled")) == 1
    with pytest.raises(TransitionRefused):
        approval_cancel(approval=approval, actor=desk_agent)


def test_one_pending_approval_per_ticket(order, desk_agent, approvers):
    start(order, desk_agent, approvers[:1])
    with pytest.raises(TransitionRefused):
        start(order, desk_agent, approvers[:1])
    assert Approval.objects.count() == 1


def test_bad_input_is_refused_with_field_messages(order, desk_agent, approvers):
    from opsdesk.approvals.models import ApprovalScheme
    from opsdesk.approvals.services import approval_decide

    with pytest.raises(ValidationFailed) as refused:
        approval_start(
            subject=order,
            scheme=ApprovalScheme.objects.create(name="Empty"),
            answers={},
            actor=desk_agent,
        )
    assert "scheme" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        approval_start(
            subject=order,
            scheme=make_scheme({"from_users": approvers[:1]}),
            answers=["not", "a", "mapping"],
            actor=desk_agent,
        )
    assert "answers" in refused.value.fields
    approval = Approval.objects.none()
    approval = start(order, desk_agent, approvers[:1])
    request = ApprovalRequest.objects.get(run__approval=approval)
    with pytest.raises(ValidationFailed) as refused:
        approval_decide(request=request, decision="maybe", actor=approvers[0], via="inbox")
    assert "decision" in refused.value.fields
