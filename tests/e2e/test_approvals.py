"""In a real browser, a manager with the Approver role opens My approvals from the menu,
reads what was asked and approves it with a comment."""

import pytest
from django.db import transaction

from opsdesk.approvals.models import ApprovalRequest
from opsdesk.approvals.services import approval_start
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory, agent
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import ticket_type
from tests.approvals.conftest import make_scheme
from tests.e2e.screens import assert_no_internal_values, confirmed, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


def test_an_approver_approves_from_the_inbox_with_a_comment(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    morgan = UserFactory(username="morgan", display_name="Morgan Meyer", roles=[Role.APPROVER])
    riley = UserFactory(
        username="riley", display_name="Riley Reed", roles=[Role.REQUESTER], manager=morgan
    )
    dana = agent(username="dana", display_name="Dana Dubois")
    with transaction.atomic():
        order = tickets.ticket_create(
            ticket_type("work_order"),
            actor=dana,
            values={"short_description": "Laptop for the new analyst", "caller": riley},
        )
    approval_start(
        subject=order,
        scheme=make_scheme({"name": "Line manager", "from_manager": True}),
        answers={"laptop_model": "Pro 14", "cost": 1800},
        requested_for=None,
        actor=dana,
    )

    page = sign_in(new_page(), live_server.url, morgan)
    page.get_by_role("link", name="My approvals").click()
    row = page.get_by_test_id("approval-row")
    expect(row).to_contain_text(order.number)
    expect(row).to_contain_text("Laptop for the new analyst")
    expect(row).to_contain_text("Riley Reed")
    expect(row).to_contain_text("Pro 14")
    assert_no_internal_values(page)
    row.get_by_label("Comment").fill("Budget agreed with finance.")
    row.get_by_role("button", name="Approve").click()
    confirmed(page, f"You approved {order.number}.")
    expect(page.get_by_test_id("pending-count")).to_have_text("0")
    expect(page.get_by_test_id("approval-row")).to_contain_text("Budget agreed with finance.")

    decided = ApprovalRequest.objects.get(approver=morgan)
    assert (decided.state, decided.comment) == ("approved", "Budget agreed with finance.")
