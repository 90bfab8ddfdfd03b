"""In a real browser, an agent's day: find a ticket in the workspace, correct its details,
assign it, reply, hold and resume it, resolve it with a knowledge article, update several
tickets at once from the queue and find the finished work again."""

import pytest

from opsdesk.core.testing.factories import TeamFactory, agent, requester
from opsdesk.incidents import services as incidents
from opsdesk.incidents.models import Incident, State
from opsdesk.incidents.testing import CategoryFactory, make_ci
from opsdesk.servicedesk.models import KnowledgeArticle
from tests.e2e.screens import (
    assert_no_internal_values,
    confirmed,
    open_menu,
    pick,
    section,
    sign_in,
)

expect = pytest.importorskip("playwright.sync_api").expect


def test_work_a_ticket_from_queue_to_resolution(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    desk = TeamFactory(name="Service Desk")
    network = TeamFactory(name="Network Operations")
    dana = agent(username="dana", display_name="Dana Dubois")
    omar = agent(username="omar", display_name="Omar Ortiz")
    desk.members.add(dana)
    network.members.add(dana, omar)
    CategoryFactory(name="Network")
    make_ci("Remote access", class_key="business_service")
    alice = requester(username="alice", display_name="Alice Archer")
    article = KnowledgeArticle.objects.create(
        number="KB0009002",
        title="VPN drops after an hour",
        body="Raise the gateway's idle timeout.",
        keywords="vpn",
        state="published",
    )
    vpn, printer, screen = (
        incidents.incident_open(actor=alice, caller=alice, short_description=text)
        for text in ("VPN drops after an hour", "Printer jams", "Screen flickers")
    )

    page = sign_in(new_page(), live_server.url, dana)
    open_menu(page, "Service desk", "Incidents")
    page.get_by_role("search", name="Filter").get_by_label("Search").fill("VPN")
    results = page.get_by_role("table")
    expect(results.get_by_role("row")).to_have_count(2)  # the header and the VPN ticket
    assert_no_internal_values(page)
    results.get_by_role("link", name=vpn.number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{vpn.number} · VPN drops after an hour"
    )
    assert_no_internal_values(page)

    edit = section(page, "Edit details")
    edit.get_by_label("Category").select_option(label="Network")
    edit.get_by_label("Service").select_option(label="Remote access")
    edit.get_by_label("Impact").select_option(label="2 - Medium")
    edit.get_by_label("Urgency").select_option(label="1 - High")
    edit.get_by_role("button", name="Save changes").click()
    confirmed(page, "Changes saved.")
    details = page.get_by_role("region", name="Details")
    expect(details).to_contain_text("Network")
    expect(details).to_contain_text("Remote access")
    expect(details).to_contain_text("2 - Medium / 1 - High")

    assign = section(page, "Assign to a group or person")
    assign.get_by_label("Assignment group").select_option(label="Network Operations")
    pick(assign, "Assignee", "dana", "Dana Dubois")
    assign.get_by_role("button", name="Assign").click()
    confirmed(page, "Assignment saved.")
    expect(details).to_contain_text("Network Operations")
    expect(page.get_by_text("In progress", exact=True).first).to_be_visible()

    page.get_by_label("Add to the conversation").fill("Which VPN client version do you run?")
    page.get_by_role("button", name="Post").click()
    confirmed(page, "Posted.")
    timeline = page.get_by_role("region", name="Timeline").get_by_role("listitem")
    expect(timeline.first).to_contain_text("Which VPN client version do you run?")

    hold = section(page, "Put on hold")
    hold.get_by_label("Hold reason").select_option(label="Awaiting caller")
    hold.get_by_role("textbox", name="Reason").fill("Waiting for the client version.")
    hold.get_by_role("button", name="Put on hold").click()
    confirmed(page, "Put on hold.")
    expect(page.get_by_text("On hold · Awaiting caller")).to_be_visible()
    expect(timeline.first).to_contain_text("In progress → On hold")

    page.get_by_role("button", name="Resume").click()
    confirmed(page, "Resumed.")
    expect(timeline.first).to_contain_text("On hold → In progress")

    resolve = section(page, "Resolve")
    resolve.get_by_label("Resolution code").select_option(label="Solved permanently")
    resolve.get_by_label("Resolution notes").fill("Raised the gateway's idle timeout.")
    chosen = resolve.get_by_label("Knowledge article")
    chosen.focus()  # offers the published articles that match the incident
    expect(resolve.get_by_role("option", name=article.title, include_hidden=True)).to_be_attached()
    chosen.fill(article.number)
    resolve.get_by_role("button", name="Resolve").click()
    confirmed(page, f"Resolved with {article.number}.")
    expect(page.get_by_text("Resolved", exact=True).first).to_be_visible()
    vpn.refresh_from_db()
    assert (vpn.state, vpn.impact, vpn.urgency) == (State.RESOLVED, 2, 1)
    assert vpn.hold_reason == "" and vpn.category.name == "Network"
    assert article.incident_links.filter(incident=vpn).exists()

    # The two other tickets, taken in one go from the queue.
    open_menu(page, "Service desk", "Incidents")
    page.get_by_label(f"Select {printer.number}").check()
    page.get_by_label(f"Select {screen.number}").check()
    bulk = page.get_by_label("Bulk update")
    pick(bulk, "Assignee", "Dub", "Dana Dubois")
    bulk.get_by_label("Action").select_option(label="Start work")
    bulk.get_by_role("button", name="Update selected").click()
    confirmed(page, "2 incidents")
    rows = page.get_by_role("table").get_by_role("row")
    for ticket in (printer, screen):
        expect(rows.filter(has_text=ticket.number)).to_contain_text("In progress")
        expect(rows.filter(has_text=ticket.number)).to_contain_text("Dana Dubois")
    assert set(
        Incident.objects.filter(pk__in=[printer.pk, screen.pk]).values_list("state", flat=True)
    ) == {State.IN_PROGRESS}

    # Finished work is out of the open queue; the state filter brings it back.
    expect(rows.filter(has_text=vpn.number)).to_have_count(0)
    page.get_by_role("search", name="Filter").get_by_label("State").select_option(label="Resolved")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=vpn.number)).to_contain_text("Resolved")
    assert_no_internal_values(page)
    rows.get_by_role("link", name=vpn.number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(vpn.number)
    assert_no_internal_values(page)
