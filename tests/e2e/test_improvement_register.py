"""In a real browser: a problem manager raises an improvement action from a problem's page,
names the number it should move, starts it, and marks it done with its outcome."""

import pytest

from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.problems.services import problem_create
from tests.e2e.screens import assert_no_internal_values, open_menu, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


def test_a_problem_manager_raises_and_finishes_an_improvement_action(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    desk = TeamFactory(name="Service Desk")
    manager = UserFactory(
        username="priya",
        display_name="Priya Problems",
        email="priya@example.org",
        roles=[Role.AGENT],
    )
    desk.members.add(manager)
    problem = problem_create(actor=manager, short_description="VPN drops every hour")

    page = sign_in(new_page(), live_server.url, manager)
    open_menu(page, "Service desk", "Problems")
    page.get_by_role("link", name=problem.number).click()
    panel = page.get_by_test_id("improvement-panel")
    expect(panel).to_contain_text("None yet")
    panel.get_by_role("link", name="Raise an improvement action").click()

    page.get_by_label("Title").fill("Split tunnelling for the VPN")
    page.get_by_label("Owner").fill("priya@example.org")
    page.get_by_label("The number it should move").select_option(label="Opened")
    page.get_by_label("Team").select_option(label="Service Desk")
    expect(page.get_by_label("Problem")).to_have_value(problem.number)
    page.get_by_role("button", name="Add to the register").click()

    expect(page.get_by_text("is on the register.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Split tunnelling for the VPN")
    expect(page.get_by_text("Planned", exact=True)).to_be_visible()
    assert_no_internal_values(page)

    page.get_by_role("button", name="Start").click()
    expect(page.get_by_text("is in progress")).to_be_visible()
    expect(page.get_by_role("row", name="Since it started")).to_be_visible()

    page.locator("summary", has_text="Mark done").click()  # opens the outcome
    page.get_by_label("What it achieved").fill("Split tunnelling rolled out to every laptop")
    page.get_by_role("button", name="Mark done").click()
    expect(page.get_by_text("is done.")).to_be_visible()
    expect(page.get_by_text("Split tunnelling rolled out to every laptop")).to_be_visible()

    open_menu(page, "Reports", "Improvement register")
    expect(page.get_by_role("cell", name="Done")).to_be_visible()
    assert_no_internal_values(page)
