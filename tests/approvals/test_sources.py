"""Who is asked: the manager, a team, named people, an owner, a person in the answers; and
nobody ever approves their own request."""

import pytest

from opsdesk.approvals.models import ApprovalRequest
from opsdesk.approvals.services import approval_start
from opsdesk.core.errors import NotPermitted
from opsdesk.core.models import OutboxEvent
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from tests.approvals.conftest import make_scheme, open_work_order
from tests.approvals.helpers import facts
from tests.cmdb.factories import CIFactory, business_service

pytestmark = pytest.mark.django_db


def asked(approval):
    return sorted(
        ApprovalRequest.objects.filter(run__approval=approval).values_list(
            "approver__username", flat=True
        )
    )


def start(order, actor, scheme, **kwargs):
    kwargs.setdefault("answers", {})
    kwargs.setdefault("requested_for", None)
    return approval_start(subject=order, scheme=scheme, actor=actor, **kwargs)


def test_the_manager_of_the_person_it_is_for(order, desk_agent, boss):
    approval = start(order, desk_agent, make_scheme({"from_manager": True}))
    assert asked(approval) == ["boss"]
    (fact,) = facts("approval.requested")
    assert fact.payload["approver_ids"] == [boss.pk]
    assert fact.payload["number"] == order.number


def test_the_manager_of_requested_for_not_of_the_caller(order, desk_agent):
    other_boss = UserFactory(username="other-boss")
    newcomer = UserFactory(username="newcomer", manager=other_boss)
    approval = start(order, desk_agent, make_scheme({"from_manager": True}), requested_for=newcomer)
    assert asked(approval) == ["other-boss"]


def test_team_members_and_named_people_once_each(order, desk_agent, approvers):
    team = TeamFactory(name="Finance approvers")
    team.members.add(approvers[0], approvers[1])
    scheme = make_scheme(
        {"rule": "all", "from_team": team, "from_users": [approvers[1], approvers[2]]}
    )
    approval = start(order, desk_agent, scheme)
    assert asked(approval) == ["approver1", "approver2", "approver3"]


def test_the_owner_of_the_ci_and_of_the_service(order, desk_agent, approvers):
    ci = CIFactory(name="pay-db-1", service_owner=approvers[0])
    service = business_service("Payroll", service_owner=approvers[1])
    scheme = make_scheme({"rule": "all", "from_ci_owner": True, "from_service_owner": True})
    approval = start(order, desk_agent, scheme, ci=ci, service=service)
    assert asked(approval) == ["approver1", "approver2"]


@pytest.mark.parametrize("value", ["approver3", "approver3@example.com", "ID"])
def test_a_person_named_in_the_answers(order, desk_agent, approvers, value):
    if value == "ID":
        value = approvers[2].pk
    scheme = make_scheme({"from_answer": "budget_holder"})
    approval = start(order, desk_agent, scheme, answers={"budget_holder": value})
    assert asked(approval) == ["approver3"]


def test_the_requester_is_never_asked_and_cannot_decide(desk_agent, boss, approvers):
    # The caller is also on the named list: they are left out, the others are asked.
    order = open_work_order(desk_agent, boss)
    approval = start(order, desk_agent, make_scheme({"from_users": [boss, approvers[0]]}))
    assert asked(approval) == ["approver1"]


def test_a_stage_left_empty_goes_to_the_fallback_approver(desk_agent, boss, approvers):
    order = open_work_order(desk_agent, boss)
    scheme = make_scheme({"from_users": [boss], "fallback_approver": approvers[4]})
    approval = start(order, desk_agent, scheme)
    assert asked(approval) == ["approver5"]
    assert "fallback approver decides" in approval.runs.get().note


def test_a_stage_left_empty_without_fallback_is_refused_with_a_reason(desk_agent, boss):
    order = open_work_order(desk_agent, boss)
    approval = start(order, desk_agent, make_scheme({"name": "Budget", "from_users": [boss]}))
    assert approval.state == "rejected"
    assert approval.reason == (
        "No one may approve stage “Budget”: the only approvers it names are the people the "
        "request is for."
    )
    assert facts("approval.rejected")[0].payload["reason"] == approval.reason


def test_nobody_decides_someone_elses_request(order, desk_agent, approvers):
    from opsdesk.approvals.services import approval_decide

    approval = start(order, desk_agent, make_scheme({"from_users": [approvers[0]]}))
    request = ApprovalRequest.objects.get(run__approval=approval)
    before = OutboxEvent.objects.count()
    with pytest.raises(NotPermitted):
        approval_decide(
            request=request, decision="approve", comment="", actor=approvers[1], via="inbox"
        )
    request.refresh_from_db()
    assert request.state == "pending" and OutboxEvent.objects.count() == before
