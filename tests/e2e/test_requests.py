"""In a real browser: a requester finds a monitor by typing, orders it for a colleague and
follows it; the desk's fulfiller completes the plan's task; the requester confirms. A catalog
manager adds an item and the step of its plan. Everything by visible labels."""

import pytest

from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory, agent, requester
from opsdesk.service_requests.testing import CatalogItemFactory, CategoryFactory, PlanStepFactory
from tests.e2e.screens import (
    assert_no_internal_values,
    confirmed,
    open_menu,
    pick,
    section,
    sign_in,
)

expect = pytest.importorskip("playwright.sync_api").expect


def test_order_a_monitor_for_a_colleague_and_follow_it(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    desk = TeamFactory(name="Service Desk")
    dana = agent(username="dana", display_name="Dana Dubois")
    desk.members.add(dana)
    riley = requester(username="riley", display_name="Riley Reed")
    requester(username="nina", display_name="Nina Novak", email="nina@example.com")
    hardware = CategoryFactory(name="Hardware", slug="hardware", icon="💻")
    monitor = CatalogItemFactory(
        category=hardware,
        name="Monitor",
        slug="monitor",
        short_description="A 27-inch screen for your desk.",
        keywords="screen display",
        owner_team=desk,
        standard=True,
    )
    PlanStepFactory(item=monitor, name="Deliver the monitor", team=desk)
    CatalogItemFactory(
        category=hardware,
        name="Headset",
        slug="headset",
        short_description="For calls.",
        owner_team=desk,
    )

    page = sign_in(new_page(), live_server.url, riley)
    page.get_by_role("navigation", name="Portal").get_by_role(
        "link", name="Request something"
    ).click()
    page.get_by_label("What do you need?").press_sequentially("screen")
    results = page.locator("#catalog-results")
    expect(results).not_to_contain_text("Headset")
    results.get_by_role("link", name="Monitor").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Monitor")
    pick(page, "Who is it for?", "Nina", "Nina Novak")
    page.get_by_label("How many").fill("1")
    page.get_by_role("button", name="Order").click()
    confirmed(page, "is submitted")
    expect(page.get_by_test_id("item-story")).to_contain_text("Service Desk is working on it.")
    expect(page.get_by_test_id("step-state")).to_have_text("Waiting to be picked up")
    number = page.get_by_role("heading", level=1).inner_text().split(" ")[0]
    assert_no_internal_values(page)

    desk_page = sign_in(new_page(), live_server.url, dana)
    open_menu(desk_page, "Service desk", "Requested items")
    expect(desk_page.get_by_role("table")).to_contain_text(number.replace("REQ", "RITM"))
    open_menu(desk_page, "Service desk", "Tasks")
    desk_page.get_by_role("table").get_by_role("link").first.click()
    expect(desk_page.get_by_test_id("plan-panel")).to_contain_text("Monitor for Nina Novak")
    desk_page.get_by_role("button", name="Start work").click()
    confirmed(desk_page, "is in progress.")
    done = section(desk_page, "Close complete")
    done.get_by_label("What was done, or why not").fill("On her desk, 4.12.")
    done.get_by_role("button", name="Close complete").click()
    confirmed(desk_page, "is closed complete.")

    page.reload()
    expect(page.get_by_test_id("request-state")).to_have_text("Fulfilled")
    expect(page.get_by_test_id("step-state")).to_have_text("Done")
    page.get_by_role("button", name="I have it, thank you").click()
    confirmed(page, "is closed")
    expect(page.get_by_test_id("request-state")).to_have_text("Closed")
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="My requests").click()
    expect(page.get_by_role("list").filter(has_text=number)).to_contain_text("Closed")
    assert_no_internal_values(page)


def test_a_catalog_manager_adds_an_item_and_its_plan(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    TeamFactory(name="Service Desk")
    CategoryFactory(name="Hardware", slug="hardware")
    casey = UserFactory(
        username="casey", display_name="Casey Catalog", roles=[Role.AGENT, Role.CATALOG_MANAGER]
    )
    page = sign_in(new_page(), live_server.url, casey)
    open_menu(page, "Service desk", "Service catalog")
    page.get_by_role("link", name="Add an item").click()
    page.get_by_label("Name").fill("Webcam")
    page.get_by_label("Address").fill("webcam")
    page.get_by_label("Category").select_option(label="Hardware")
    page.get_by_label("Short description").fill("A 1080p webcam for calls.")
    page.get_by_label("Owner team").select_option(label="Service Desk")
    page.get_by_role("button", name="Save").click()
    confirmed(page, "Webcam is saved.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fulfilment plan of Webcam")
    page.get_by_label("Name").fill("Send the webcam")
    page.get_by_label("Team:", exact=True).select_option(label="Service Desk")
    page.get_by_role("button", name="Save the step").click()
    confirmed(page, "is saved.")
    expect(page.get_by_role("region", name="Steps")).to_contain_text("Send the webcam")
    assert_no_internal_values(page)


def test_a_laptop_for_a_new_colleague_from_order_to_delivery(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    """Requester orders (answering the item's form) for a new colleague; the colleague's
    manager approves from My approvals; three teams complete their parallel tasks; the
    requester follows every step and confirms."""
    from decimal import Decimal

    from opsdesk.core.formschema import form_schema_save
    from opsdesk.core.testing.factories import admin
    from opsdesk.service_requests.testing import manager_approval

    teams = {n: TeamFactory(name=n) for n in ("Service Desk", "Identity & Access", "Network")}
    workers = {}
    for name, team in teams.items():
        workers[name] = agent(username=name.split()[0].lower(), display_name=f"{name} Agent")
        team.members.add(workers[name])
    jordan = UserFactory(username="jordan", display_name="Jordan Head", roles=[Role.APPROVER])
    riley = requester(username="riley", display_name="Riley Reed", manager=jordan)
    requester(username="nina", display_name="Nina Novak", manager=jordan)
    form = form_schema_save(
        actor=admin(),
        name="Laptop",
        slug="laptop",
        fields=[
            {
                "key": "model",
                "label": "Which laptop",
                "type": "single_choice",
                "required": True,
                "choices": [
                    {"value": "standard", "label": "Standard 14-inch"},
                    {"value": "developer", "label": "Developer 16-inch"},
                ],
            },
            {
                "key": "justification",
                "label": "Why the developer laptop",
                "type": "text",
                "visible_if": "model == 'developer'",
                "required_if": "model == 'developer'",
            },
        ],
    )
    laptop = CatalogItemFactory(
        category=CategoryFactory(name="Hardware", slug="hardware"),
        name="New laptop",
        slug="new-laptop",
        short_description="A laptop with your software installed.",
        owner_team=teams["Service Desk"],
        form=form,
        needs_approval=True,
        approval_scheme=manager_approval(),
        cost=Decimal("1250"),
    )
    accounts = PlanStepFactory(
        item=laptop, name="Create the accounts", team=teams["Identity & Access"], order=10
    )
    for name, team in (
        ("Build the laptop", "Service Desk"),
        ("Patch the network port", "Network"),
        ("Set up the VPN profile", "Identity & Access"),
    ):
        PlanStepFactory(item=laptop, name=name, team=teams[team], order=20, after=[accounts])

    page = sign_in(new_page(), live_server.url, riley)
    page.get_by_role("navigation", name="Portal").get_by_role(
        "link", name="Request something"
    ).click()
    page.get_by_role("link", name="New laptop").first.click()
    expect(page.get_by_label("Why the developer laptop")).to_have_count(0)
    page.get_by_label("Which laptop").select_option(label="Developer 16-inch")
    page.get_by_label("Why the developer laptop").fill("Builds the store's images")
    pick(page, "Who is it for?", "Nina", "Nina Novak")
    page.get_by_role("button", name="Order").click()
    confirmed(page, "is submitted")
    expect(page.get_by_test_id("item-story")).to_contain_text("Waiting for approval")
    expect(page.get_by_test_id("approvals")).to_contain_text("Jordan Head: waiting")

    approver = sign_in(new_page(), live_server.url, jordan)
    approver.get_by_role("link", name="My approvals").click()
    row = approver.get_by_test_id("approval-row")
    expect(row).to_contain_text("Nina Novak")
    row.get_by_label("Comment").fill("Welcome, Nina.")
    row.get_by_role("button", name="Approve").click()
    confirmed(approver, "You approved")

    page.reload()
    expect(page.get_by_test_id("approvals")).to_contain_text("Jordan Head: approved")
    expect(page.get_by_test_id("step-state").first).to_have_text("Waiting to be picked up")

    def complete(who: str, step: str):
        desk = sign_in(new_page(), live_server.url, workers[who])
        desk.get_by_role("navigation", name="Main").get_by_text("Service desk", exact=True).click()
        desk.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Tasks", exact=True
        ).click()
        desk.get_by_role("row").filter(has_text=step).get_by_role("link").first.click()
        expect(desk.get_by_test_id("plan-panel")).to_contain_text("Why the developer laptop")
        done = section(desk, "Close complete")
        done.get_by_label("What was done, or why not").fill("Done.")
        done.get_by_role("button", name="Close complete").click()
        confirmed(desk, "is closed complete.")
        desk.close()

    complete("Identity & Access", "Create the accounts")
    complete("Service Desk", "Build the laptop")
    complete("Network", "Patch the network port")
    complete("Identity & Access", "Set up the VPN profile")

    page.reload()
    expect(page.get_by_test_id("request-state")).to_have_text("Fulfilled")
    states = page.get_by_test_id("step-state")
    expect(states).to_have_count(4)
    for n in range(4):
        expect(states.nth(n)).to_have_text("Done")
    page.get_by_role("button", name="I have it, thank you").click()
    confirmed(page, "is closed")
    assert_no_internal_values(page)
    page.get_by_role("link", name="Tell us how we did").click()
    page.get_by_label("5 - Very satisfied").check()
    page.get_by_label("Anything to add? (optional)").fill("Ready on her first day.")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_test_id("survey-done")).to_contain_text("5 of 5")
