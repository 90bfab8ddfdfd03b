"""While someone is away their approvals go to their delegate, who may also decide the ones
already waiting; outside the dates nothing changes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.approvals.models import ApprovalRequest
from opsdesk.approvals.services import approval_decide, approval_start, delegation_create
from opsdesk.core.errors import NotPermitted, ValidationFailed
from tests.approvals.conftest import make_scheme

pytestmark = pytest.mark.django_db


def away(approver, delegate, *, start=0, end=3):
    today = timezone.localdate()
    return delegation_create(
        actor=approver,
        delegator=approver,
        delegate=delegate,
        starts_on=today + timedelta(days=start),
        ends_on=today + timedelta(days=end),
        reason="Holiday",
    )


def test_new_requests_go_to_the_active_delegate_and_say_so(order, desk_agent, approvers):
    approver, delegate = approvers[0], approvers[1]
    away(approver, delegate)
    approval = approval_start(
        subject=order,
        scheme=make_scheme({"from_users": [approver]}),
        answers={},
        requested_for=None,
        actor=desk_agent,
    )
    (request,) = ApprovalRequest.objects.filter(run__approval=approval)
    assert request.approver == delegate and request.delegated_from == approver


def test_a_delegation_in_the_future_changes_nothing(order, desk_agent, approvers):
    away(approvers[0], approvers[1], start=2, end=4)
    approval = approval_start(
        subject=order,
        scheme=make_scheme({"from_users": [approvers[0]]}),
        answers={},
        requested_for=None,
        actor=desk_agent,
    )
    assert ApprovalRequest.objects.get(run__approval=approval).approver == approvers[0]


def test_a_delegate_decides_a_request_that_was_already_waiting(order, desk_agent, approvers):
    approver, delegate, stranger = approvers[0], approvers[1], approvers[2]
    approval = approval_start(
        subject=order,
        scheme=make_scheme({"from_users": [approver]}),
        answers={},
        requested_for=None,
        actor=desk_agent,
    )
    request = ApprovalRequest.objects.get(run__approval=approval)
    with pytest.raises(NotPermitted):
        approval_decide(request=request, decision="approve", actor=delegate, via="inbox")
    away(approver, delegate)
    with pytest.raises(NotPermitted):
        approval_decide(request=request, decision="approve", actor=stranger, via="inbox")
    approval_decide(
        request=request,
        decision="approve",
        comment="Covering for a colleague",
        actor=delegate,
        via="inbox",
    )
    request.refresh_from_db()
    approval.refresh_from_db()
    assert (request.state, request.decided_by, approval.state) == ("approved", delegate, "approved")


def test_a_delegation_to_oneself_or_ending_before_it_starts_is_refused(approvers):
    with pytest.raises(ValidationFailed) as refused:
        away(approvers[0], approvers[0])
    assert "delegate" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        away(approvers[0], approvers[1], start=3, end=1)
    assert "ends_on" in refused.value.fields


def test_only_the_person_themselves_delegates_their_approvals(approvers):
    today = timezone.localdate()
    with pytest.raises(NotPermitted):
        delegation_create(
            actor=approvers[2],
            delegator=approvers[0],
            delegate=approvers[2],
            starts_on=today,
            ends_on=today,
        )
