"""How a stage completes under each rule, against tables written out by hand.

Each row is a sequence of decisions by approvers A, B, C, ... (in that order) and the state
the stage (and, with one stage, the whole approval) is in afterwards.
"""

import pytest

from opsdesk.approvals import rules
from opsdesk.approvals.models import ApprovalRequest, ApprovalStageRun, RequestState
from opsdesk.approvals.services import approval_start
from tests.approvals.conftest import make_scheme
from tests.approvals.helpers import decide

pytestmark = pytest.mark.django_db

# rule, total, count, percent -> approvals needed
REQUIRED = [
    ("any", 1, None, None, 1),
    ("any", 5, None, None, 1),
    ("all", 1, None, None, 1),
    ("all", 4, None, None, 4),
    ("count", 4, 2, None, 2),
    ("count", 3, 3, None, 3),
    ("share", 4, None, 50, 2),
    ("share", 4, None, 60, 3),
    ("share", 3, None, 1, 1),
    ("share", 5, None, 100, 5),
]


@pytest.mark.parametrize("rule,total,count,percent,needed", REQUIRED)
def test_approvals_needed_per_rule(rule, total, count, percent, needed):
    assert rules.required_approvals(rule, total=total, count=count, percent=percent) == needed


ANY_OF_3 = [
    ("A+", "approved"),
    ("A-", "pending"),
    ("A- B-", "pending"),
    ("A- B- C-", "rejected"),
    ("A- B+", "approved"),
]
ALL_OF_3 = [
    ("A+", "pending"),
    ("A+ B+", "pending"),
    ("A+ B+ C+", "approved"),
    ("A-", "rejected"),
    ("A+ B-", "rejected"),
]
TWO_OF_4 = [
    ("A+", "pending"),
    ("A+ B+", "approved"),
    ("A-", "pending"),
    ("A- B-", "pending"),
    ("A- B- C-", "rejected"),
    ("A- B+ C+", "approved"),
]
SIXTY_PERCENT_OF_4 = [  # 60 % of 4 is 2.4: three approvals needed
    ("A+ B+", "pending"),
    ("A+ B+ C+", "approved"),
    ("A-", "pending"),
    ("A- B-", "rejected"),
    ("A- B+ C+ D+", "approved"),
]

CASES = (
    [("any", None, None, 3, row) for row in ANY_OF_3]
    + [("all", None, None, 3, row) for row in ALL_OF_3]
    + [("count", 2, None, 4, row) for row in TWO_OF_4]
    + [("share", None, 60, 4, row) for row in SIXTY_PERCENT_OF_4]
)


@pytest.mark.parametrize("rule,count,percent,size,row", CASES)
def test_stage_outcome_table(order, desk_agent, approvers, rule, count, percent, size, row):
    steps, expected = row
    people = approvers[:size]
    scheme = make_scheme(
        {"rule": rule, "required_count": count, "required_percent": percent, "from_users": people}
    )
    approval = approval_start(
        subject=order, scheme=scheme, answers={}, requested_for=None, actor=desk_agent
    )
    by_letter = dict(zip("ABCDE", people, strict=False))
    for step in steps.split():
        decide(
            approval,
            by_letter[step[0]],
            "approve" if step[1] == "+" else "reject",
            comment="not this quarter" if step[1] == "-" else "",
        )
    approval.refresh_from_db()
    run = ApprovalStageRun.objects.get(approval=approval)
    assert run.state == expected
    assert approval.state == expected
    if expected != "pending":
        # Nobody is left waiting on a decided stage.
        assert not ApprovalRequest.objects.filter(run=run, state=RequestState.PENDING).exists()


def test_a_count_larger_than_the_approvers_refuses_the_stage_with_a_reason(
    order, desk_agent, approvers
):
    scheme = make_scheme({"rule": "count", "required_count": 3, "from_users": approvers[:2]})
    approval = approval_start(
        subject=order, scheme=scheme, answers={}, requested_for=None, actor=desk_agent
    )
    assert approval.state == "rejected"
    assert "needs 3 approvals but only 2 people" in approval.reason


def test_stages_run_one_after_another(order, desk_agent, approvers):
    first, second = approvers[0], approvers[1]
    scheme = make_scheme(
        {"name": "Manager", "from_users": [first]}, {"name": "Finance", "from_users": [second]}
    )
    approval = approval_start(
        subject=order, scheme=scheme, answers={}, requested_for=None, actor=desk_agent
    )
    assert not ApprovalRequest.objects.filter(approver=second).exists()
    decide(approval, first, "approve")
    approval.refresh_from_db()
    assert approval.state == "pending" and approval.current_stage.name == "Finance"
    decide(approval, second, "approve")
    approval.refresh_from_db()
    assert approval.state == "approved"
    assert list(approval.runs.values_list("state", flat=True)) == ["approved", "approved"]
