"""Shared pieces of the approval tests: work orders as the ticket, schemes built as data."""

import pytest

from opsdesk.approvals.models import ApprovalScheme, ApprovalStage
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import ticket_type


def open_work_order(actor, caller, **values):
    values = {"short_description": "New laptop for the finance analyst", "caller": caller, **values}
    return tickets.ticket_create(ticket_type("work_order"), actor=actor, values=values)


def make_scheme(*stages: dict, name: str = "") -> ApprovalScheme:
    """A scheme whose stages are given as field values; ``from_users`` may list people."""
    name = name or f"Laptop approvals {ApprovalScheme.objects.count() + 1}"
    scheme = ApprovalScheme.objects.create(name=name)
    for position, values in enumerate(stages):
        values = dict(values)
        users = values.pop("from_users", [])
        values.setdefault("name", f"Stage {position + 1}")
        stage = ApprovalStage.objects.create(scheme=scheme, position=position, **values)
        stage.from_users.set(users)
    return scheme


@pytest.fixture
def boss(db):
    return UserFactory(username="boss", email="boss@example.com", roles=[Role.APPROVER])


@pytest.fixture
def requester_with_manager(db, boss):
    return UserFactory(
        username="riley", email="riley@example.com", roles=[Role.REQUESTER], manager=boss
    )


@pytest.fixture
def approvers(db):
    return [
        UserFactory(
            username=f"approver{i}", email=f"approver{i}@example.com", roles=[Role.APPROVER]
        )
        for i in range(1, 6)
    ]


@pytest.fixture
def order(desk_agent, requester_with_manager):
    return open_work_order(desk_agent, requester_with_manager)
