"""In a real browser: a service-desk manager opens each dashboard by its label, narrows one to
a team (the address keeps it, so the view can be shared), clicks a number, lands on the
records behind it and opens one of them."""

import re

import pytest

from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory, requester
from opsdesk.incidents.services import incident_open
from opsdesk.reporting.dashboards import all_dashboards
from opsdesk.reporting.services import record_fact_refresh
from tests.e2e.screens import assert_no_internal_values, open_menu, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


def test_a_desk_manager_reads_the_dashboards_and_drills_down(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    desk = TeamFactory(name="Service Desk")
    network = TeamFactory(name="Network Operations")
    manager = UserFactory(
        username="maria", display_name="Maria Manager", roles=[Role.AGENT, Role.TEAM_LEAD]
    )
    desk.members.add(manager)
    alice = requester(username="alice", display_name="Alice Archer")
    # Two incidents for the Service Desk, one for Network Operations.
    printer = incident_open(
        actor=manager, caller=alice, short_description="Printer jams", assignment_group=desk
    )
    incident_open(
        actor=manager, caller=alice, short_description="Laptop slow", assignment_group=desk
    )
    incident_open(
        actor=manager, caller=alice, short_description="Switch down", assignment_group=network
    )
    for pk in (printer.pk, printer.pk + 1, printer.pk + 2):
        record_fact_refresh(record_type="incident", record_id=pk)

    page = sign_in(new_page(), live_server.url, manager)
    # A chart refused by the Content-Security-Policy shows up as a console error.
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    open_menu(page, "Reports", "Dashboards")
    tabs = page.get_by_role("navigation", name="Dashboards")
    for board in all_dashboards():
        tabs.get_by_role("link", name=board.label, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(board.label)
        assert_no_internal_values(page)

    tabs.get_by_role("link", name="Service desk", exact=True).click()
    # The chart library draws under the strict CSP: a canvas appears in the chart's box.
    expect(page.locator('[data-chart="chart-volumes"] canvas')).to_be_visible()
    assert not console_errors, console_errors
    opened = page.get_by_test_id("panel-headline").get_by_test_id("card-opened")
    # The figure is the card's link that is a number (its explanation holds another link).
    figure = opened.get_by_role("link", name=re.compile(r"^\d+$"))
    expect(figure).to_have_text("3")

    page.get_by_label("Team").select_option(label="Service Desk")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(rf"team={desk.pk}"))
    expect(page.get_by_label("Team")).to_have_value(str(desk.pk))
    page.get_by_text("How is “Opened” computed?").first.click()
    expect(page.get_by_text(re.compile("^Records opened in the period")).first).to_be_visible()

    expect(figure).to_have_text("2")
    figure.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("the records behind the number")
    )
    expect(page.get_by_test_id("record-count")).to_have_text("2 records listed.")
    assert f"team={desk.pk}" in page.url
    assert_no_internal_values(page)

    page.get_by_role("link", name=printer.number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Printer jams")
