"""Stage conditions over the answers, and stages skipped (and recorded) when they do not hold."""

import pytest

from opsdesk.approvals.conditions import condition_errors, condition_holds
from opsdesk.approvals.models import ApprovalRequest, ApprovalStage
from opsdesk.approvals.services import approval_start
from opsdesk.core.timeline import timeline_for
from tests.approvals.conftest import make_scheme

# Numbers as the form engine keeps them (numbers, not text): conditions are in its language.
ANSWERS = {"amount": 1500, "department": "Finance", "laptop": "pro", "count": 3}

# expression -> holds for ANSWERS
TABLE = [
    ("", True),
    ("amount > 1000", True),
    ("amount > 1500", False),
    ("amount >= 1500", True),
    ("amount < 2000.5", True),
    ("count <= 2", False),
    ("department == 'Finance'", True),
    ('department == "Sales"', False),
    ("laptop != 'basic'", True),
    ("amount > 1000 and department == 'Finance'", True),
    ("amount > 1000 and laptop == 'basic'", False),
    ("amount > 2000 or laptop == 'pro'", True),
    ("laptop in ['pro', 'max']", True),
    ("not (department == 'Finance')", False),
    ("missing == 'x'", False),
    ("department > 5", False),  # a number compared with text: false, never an error
]


@pytest.mark.parametrize("expr,holds", TABLE)
def test_condition_table(expr, holds):
    assert condition_holds(expr, ANSWERS) is holds


@pytest.mark.parametrize(
    "expr", ["amount >", "amount ~ 3", "amount > 1000 AND x == 'y'", "x == 'y", "(amount > 3"]
)
def test_expressions_outside_the_syntax_are_named(expr):
    assert condition_errors(expr)


def test_a_stage_with_a_bad_condition_is_refused_with_a_field_message(db):
    from django.core.exceptions import ValidationError

    stage = ApprovalStage(name="Finance", condition="amount >>> 3", rule="any")
    with pytest.raises(ValidationError) as refused:
        stage.clean()
    assert "condition" in refused.value.message_dict


@pytest.mark.django_db
def test_a_stage_whose_condition_fails_is_skipped_and_recorded(order, desk_agent, approvers):
    manager, finance = approvers[0], approvers[1]
    scheme = make_scheme(
        {"name": "Finance over 1000", "condition": "amount > 1000", "from_users": [finance]},
        {"name": "Manager", "from_users": [manager]},
    )
    approval = approval_start(
        subject=order,
        scheme=scheme,
        answers={"amount": 400},
        requested_for=None,
        actor=desk_agent,
    )
    runs = list(approval.runs.order_by("position"))
    assert [(r.stage.name, r.state) for r in runs] == [
        ("Finance over 1000", "skipped"),
        ("Manager", "pending"),
    ]
    assert "amount > 1000" in runs[0].note
    assert not ApprovalRequest.objects.filter(approver=finance).exists()
    notes = [e.body for e in timeline_for(record=order)]
    assert any("“Finance over 1000” skipped" in body for body in notes)


@pytest.mark.django_db
def test_every_stage_skipped_approves_at_once(order, desk_agent, approvers):
    scheme = make_scheme({"condition": "amount > 1000", "from_users": approvers[:1]})
    approval = approval_start(
        subject=order,
        scheme=scheme,
        answers={"amount": 10},
        requested_for=None,
        actor=desk_agent,
    )
    assert approval.state == "approved"
