"""In a real browser, a record type built from the registry alone (work orders) has a workspace
queue an agent filters, ticks and assigns in bulk, and a requester follows it on the portal."""

import pytest
from django.db import transaction
from django.urls import reverse

from opsdesk.core.testing.factories import TeamFactory, agent, requester
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import ticket_type
from tests.e2e.screens import assert_no_internal_values, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def orders(db):
    TeamFactory(name="Facilities")
    dana = agent(username="dana", display_name="Dana Dubois")
    alice = requester(username="alice", display_name="Alice Archer")
    # ticket_create runs inside its caller's transaction, as a record type's service does.
    with transaction.atomic():
        made = [
            tickets.ticket_create(
                ticket_type("work_order"),
                actor=dana,
                values={"short_description": f"Badge reader {n} at door {n}", "caller": alice},
            )
            for n in range(3)
        ]
    return {"agent": dana, "requester": alice, "orders": made}


def test_an_agent_filters_and_assigns_work_orders_in_bulk(
    django_db_serialized_rollback, transactional_db, live_server, page, orders
):
    sign_in(page, live_server.url, orders["agent"])
    page.goto(live_server.url + reverse("core:queue-default", args=["work_order"]))
    expect(page.get_by_role("heading", name="Work order queue")).to_be_visible()
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(3)
    assert_no_internal_values(page)

    search = page.get_by_role("search", name="Filter").get_by_label("Search")
    search.fill("door 1")
    expect(rows).to_have_count(1)
    search.fill("")
    expect(rows).to_have_count(3)

    bulk = page.get_by_label("Bulk update")
    page.get_by_role("checkbox", name="Select all on this page").check()
    expect(bulk).to_contain_text("3 selected")
    bulk.get_by_label("Group").fill("Facilities")
    bulk.get_by_role("button", name="Update selected").click()
    expect(page.get_by_text("3 work orders changed")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Facilities")
    assert_no_internal_values(page)


def test_a_requester_follows_a_work_order_on_the_portal(
    django_db_serialized_rollback, transactional_db, live_server, page, orders
):
    sign_in(page, live_server.url, orders["requester"])
    page.goto(live_server.url + reverse("servicedesk:tickets"))
    first = orders["orders"][0]
    expect(page.get_by_text(first.number)).to_be_visible()
    page.get_by_role("navigation", name="Kind of ticket").get_by_role(
        "link", name="Work order"
    ).click()
    page.get_by_role("link", name=first.number).click()
    expect(page.get_by_test_id("ticket-state")).to_have_text("New")
    page.get_by_label("Add a comment").fill("It beeps but stays shut.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Your comment is added.")).to_be_visible()
    expect(page.get_by_text("It beeps but stays shut.")).to_be_visible()
    assert_no_internal_values(page)
