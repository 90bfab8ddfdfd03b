"""In a real browser, an agent hands part of an incident to another team as a task, and an
agent of that team finds it in Tasks, starts it and closes it saying what was done."""

import pytest

from opsdesk.core.testing.factories import TeamFactory, agent, requester
from opsdesk.incidents import services as incidents
from tests.e2e.screens import (
    assert_no_internal_values,
    confirmed,
    open_menu,
    pick,
    section,
    sign_in,
)

expect = pytest.importorskip("playwright.sync_api").expect


def test_hand_out_a_task_and_close_it(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    desk = TeamFactory(name="Service Desk")
    storage = TeamFactory(name="Server & Storage")
    dana = agent(username="dana", display_name="Dana Dubois")
    sam = agent(username="sam", display_name="Sam Singh")
    desk.members.add(dana)
    storage.members.add(sam)
    alice = requester(username="alice", display_name="Alice Archer")
    incident = incidents.incident_open(
        actor=dana, caller=alice, short_description="Shared drive is full", assignment_group=desk
    )

    page = sign_in(new_page(), live_server.url, dana)
    open_menu(page, "Service desk", "Incidents")
    page.get_by_role("link", name=incident.number).click()
    tasks = page.get_by_role("region", name="Tasks")
    expect(tasks).to_contain_text("No tasks yet.")
    form = section(page, "Add a task")
    form.get_by_label("What needs doing").fill("Extend the shared drive volume")
    pick(form, "Group", "Server", "Server & Storage")
    form.get_by_role("button", name="Add task").click()
    confirmed(page, f"is added to {incident.number}.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Extend the shared drive volume")
    details = page.get_by_role("region", name="Details")
    expect(details).to_contain_text(incident.number)
    expect(details).to_contain_text("Server & Storage")
    assert_no_internal_values(page)

    page = sign_in(new_page(), live_server.url, sam)
    open_menu(page, "Service desk", "Tasks")
    page.get_by_role("table").get_by_role("link").first.click()
    page.get_by_role("button", name="Start work").click()
    confirmed(page, "is in progress.")
    done = section(page, "Close complete")
    done.get_by_label("What was done, or why not").fill("Grew the volume by 500 GB.")
    done.get_by_role("button", name="Close complete").click()
    confirmed(page, "is closed complete.")
    expect(page.get_by_role("region", name="Details")).to_contain_text("Grew the volume by 500 GB.")
    assert_no_internal_values(page)

    page.get_by_role("region", name="Details").get_by_role("link", name=incident.number).click()
    expect(page.get_by_role("region", name="Tasks")).to_contain_text("Closed complete")
