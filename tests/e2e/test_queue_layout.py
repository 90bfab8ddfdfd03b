"""In a real browser, the incident queue as an agent works it all day: a screenful of rows,
a select-all box, bulk actions that appear only once rows are ticked, and on a phone no page
that scrolls sideways."""

import pytest
from django.urls import reverse

from opsdesk.core.testing.factories import TeamFactory, agent, requester
from opsdesk.incidents import services as incidents
from tests.e2e.screens import assert_no_internal_values, sign_in

expect = pytest.importorskip("playwright.sync_api").expect

SIDEWAYS = "document.scrollingElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def queue(db):
    team = TeamFactory(name="Service Desk")
    dana = agent(username="dana", display_name="Dana Dubois")
    team.members.add(dana)
    alice = requester(username="alice", display_name="Alice Archer")
    for n in range(25):
        incidents.incident_open(
            actor=alice, caller=alice, short_description=f"Printer {n} on floor 3 jams on A3 paper"
        )
    return {"agent": dana, "requester": alice}


def test_a_screenful_of_rows_and_bulk_actions_on_demand(
    django_db_serialized_rollback, transactional_db, live_server, browser, queue
):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context.new_page(), live_server.url, queue["agent"])
        page.goto(live_server.url + reverse("incidents:queue", args=["open"]))
        rows = page.get_by_role("table").locator("tbody tr")
        expect(rows).to_have_count(25)
        in_view = page.evaluate(
            "[...document.querySelectorAll('table tbody tr')]"
            ".filter(row => row.getBoundingClientRect().bottom <= window.innerHeight).length"
        )
        assert in_view >= 20, f"only {in_view} rows above the fold at 1366x900"

        bulk = page.get_by_label("Bulk update")
        expect(bulk).to_be_hidden()
        boxes = page.get_by_role("checkbox", name="Select INC")
        boxes.first.check()
        expect(bulk).to_be_visible()
        expect(bulk).to_contain_text("1 selected")
        select_all = page.get_by_role("checkbox", name="Select all on this page")
        select_all.check()
        expect(bulk).to_contain_text("25 selected")
        for n in range(25):
            expect(boxes.nth(n)).to_be_checked()
        assert_no_internal_values(page)
        select_all.uncheck()
        expect(boxes.first).not_to_be_checked()
        expect(bulk).to_be_hidden()
    finally:
        context.close()


def test_nothing_scrolls_sideways_on_a_phone(
    django_db_serialized_rollback, transactional_db, live_server, new_page, queue
):
    portal = sign_in(new_page(phone=True), live_server.url, queue["requester"])
    portal.goto(live_server.url + reverse("servicedesk:home"))
    assert portal.evaluate(SIDEWAYS), "the portal home scrolls sideways at 390 px"

    desk = sign_in(new_page(phone=True), live_server.url, queue["agent"])
    desk.goto(live_server.url + reverse("incidents:queue", args=["open"]))
    expect(desk.get_by_text("Printer 0 on floor 3 jams on A3 paper")).to_be_visible()
    assert desk.evaluate(SIDEWAYS), "the incident queue scrolls sideways at 390 px"
