"""The catalog, ordering and following a request in the portal; the desk's item pages; the
catalog manager's pages; and who may open which."""

import pytest
from django.test import Client

from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.service_requests import services
from opsdesk.service_requests.models import CatalogItem, PlanStep, RequestItem, ServiceRequest
from opsdesk.service_requests.testing import CatalogItemFactory, CategoryFactory, PlanStepFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def desk():
    return TeamFactory(name="Desk")


@pytest.fixture
def laptop(desk):
    hardware = CategoryFactory(name="Hardware", slug="hardware")
    item = CatalogItemFactory(
        category=hardware,
        name="New laptop",
        slug="new-laptop",
        short_description="A 14-inch laptop with your software installed.",
        keywords="notebook computer",
        owner_team=desk,
    )
    PlanStepFactory(item=item, name="Prepare the laptop", team=desk)
    return item


@pytest.fixture
def drive(desk):
    access = CategoryFactory(name="Access", slug="access")
    return CatalogItemFactory(
        category=access,
        name="Access to a shared drive",
        slug="shared-drive",
        short_description="Read or write access to a team's shared folder.",
        owner_team=desk,
    )


def test_the_catalog_finds_items_by_their_words(caller, laptop, drive):
    client = signed_in(caller)
    page = client.get("/portal/catalog/").content.decode()
    assert "New laptop" in page and "Access to a shared drive" in page
    found = client.get("/portal/catalog/?q=shared+drive").content.decode()
    assert "Access to a shared drive" in found and "New laptop" not in found
    assert "New laptop" in client.get("/portal/catalog/?q=notebook").content.decode()
    nothing = client.get("/portal/catalog/?q=spaceship").content.decode()
    assert "Nothing in the catalog matches" in nothing


def test_search_as_you_type_answers_with_the_results_only(caller, laptop, drive):
    client = signed_in(caller)
    partial = client.get(
        "/portal/catalog/?q=laptop", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="catalog-results"
    ).content.decode()
    assert "New laptop" in partial and "<nav" not in partial


def test_a_requester_orders_and_follows_each_step(caller, laptop):
    client = signed_in(caller)
    assert "Who is it for?" in client.get("/portal/catalog/new-laptop/").content.decode()
    response = client.post("/portal/catalog/new-laptop/", {"quantity": "1"}, follow=True)
    request = ServiceRequest.objects.get()
    assert response.redirect_chain[-1][0] == f"/portal/requests/{request.number}/"
    page = response.content.decode()
    assert f"{request.number} is submitted" in page
    assert "Prepare the laptop" in page and "Waiting to be picked up" in page
    assert "in_fulfilment" not in page.replace('data-testid="item-state"', "")
    assert request.number in client.get("/portal/requests/").content.decode()


def test_a_bad_order_shows_the_field_and_writes_nothing(caller, laptop):
    client = signed_in(caller)
    page = client.post("/portal/catalog/new-laptop/", {"quantity": "99"}).content.decode()
    assert "Ensure this value is less than or equal to 20" in page
    page = client.post(
        "/portal/catalog/new-laptop/", {"quantity": "1", "requested_for": "nobody@nowhere"}
    ).content.decode()
    assert "No one here has this e-mail or username" in page
    assert not ServiceRequest.objects.exists()


def test_an_item_outside_the_audience_is_not_found(caller, desk):
    CatalogItemFactory(slug="trading-terminal", audience_departments=["Trading"], owner_team=desk)
    client = signed_in(caller)
    assert client.get("/portal/catalog/trading-terminal/").status_code == 404
    assert "trading" not in client.get("/portal/catalog/").content.decode().lower()


def test_others_cannot_see_a_request(caller, laptop):
    request = services.request_submit(actor=caller, lines=[(laptop, {}, 1)])
    stranger = signed_in(UserFactory(roles=[Role.REQUESTER]))
    assert stranger.get(f"/portal/requests/{request.number}/").status_code == 404


def test_the_requester_answers_the_desks_question(caller, laptop, desk):
    request = services.request_submit(actor=caller, lines=[(laptop, {}, 1)])
    item = request.items.get()
    agent = UserFactory(roles=[Role.AGENT])
    desk.members.add(agent)
    desk_client = signed_in(agent)
    desk_client.post(
        f"/requests/items/{item.number}/ask/", {"reason": "Which keyboard layout?"}, follow=True
    )
    client = signed_in(caller)
    page = client.get(f"/portal/requests/{request.number}/").content.decode()
    assert "We need something from you" in page and "Which keyboard layout?" in page
    response = client.post(
        f"/portal/requests/{request.number}/answer/",
        {"item": item.number, "body": "UK, please"},
        follow=True,
    )
    assert "the desk has your answer" in response.content.decode()
    assert RequestItem.objects.get(pk=item.pk).state == "in_fulfilment"


def test_the_requester_cancels_with_a_reason(caller, laptop):
    request = services.request_submit(actor=caller, lines=[(laptop, {}, 1)])
    client = signed_in(caller)
    page = client.post(
        f"/portal/requests/{request.number}/cancel_request/", {"reason": ""}, follow=True
    ).content.decode()
    assert "Say why you cancel" in page
    assert ServiceRequest.objects.get().state == "in_fulfilment"
    client.post(
        f"/portal/requests/{request.number}/cancel_request/", {"reason": "Got one from Ana"}
    )
    assert ServiceRequest.objects.get().state == "cancelled"


def test_the_desk_sees_the_item_queue_and_page(caller, laptop, desk):
    request = services.request_submit(actor=caller, lines=[(laptop, {}, 1)])
    item = request.items.get()
    agent = UserFactory(roles=[Role.AGENT])
    desk.members.add(agent)
    client = signed_in(agent)
    queue = client.get("/requests/items/", follow=True)
    assert queue.redirect_chain[-1][0] == "/work/request_item/teams/"
    assert item.number in queue.content.decode()
    approval_queue = client.get("/work/request_item/approval/").content.decode()
    assert item.number not in approval_queue
    page = client.get(f"/requests/items/{item.number}/").content.decode()
    assert "Fulfilment plan" in page and "Prepare the laptop" in page
    assert request.number in client.get(f"/requests/{request.number}/").content.decode()
    # The requester has no desk pages.
    assert signed_in(caller).get(f"/requests/items/{item.number}/").status_code == 403
    assert signed_in(caller).get("/requests/items/").status_code == 403


def test_a_plan_task_shows_its_item_and_can_be_skipped(caller, laptop, desk):
    from opsdesk.core.tickets.task import tasks_of

    item = services.request_submit(actor=caller, lines=[(laptop, {}, 1)]).items.get()
    task = tasks_of(item).get()
    agent = UserFactory(roles=[Role.AGENT])
    desk.members.add(agent)
    client = signed_in(agent)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert f"Fulfils {item.number}" in page and "Skip this step" in page
    page = client.post(
        f"/requests/tasks/{task.pk}/skip/", {"reason": "Reusing a spare"}, follow=True
    ).content.decode()
    assert "is skipped; the plan goes on" in page


@pytest.mark.parametrize("role,status", [(Role.REQUESTER, 403), (Role.AGENT, 403)])
def test_only_catalog_managers_open_the_catalog_pages(role, status, laptop):
    client = signed_in(UserFactory(roles=[role]))
    assert client.get("/requests/catalog/").status_code == status
    assert client.get("/requests/catalog/new-laptop/").status_code == status


def test_a_catalog_manager_adds_an_item_and_its_plan(desk):
    hardware = CategoryFactory(name="Hardware", slug="hardware")
    client = signed_in(UserFactory(roles=[Role.CATALOG_MANAGER]))
    bad = client.post(
        "/requests/catalog/new/",
        {
            "name": "Monitor",
            "slug": "monitor",
            "category": hardware.pk,
            "short_description": "A 27-inch screen.",
            "owner_team": desk.pk,
            "available_from": "2026-12-10",
            "available_until": "2026-12-01",
            "active": "on",
        },
    )
    assert "This is before the first day." in bad.content.decode()
    assert not CatalogItem.objects.filter(slug="monitor").exists()
    response = client.post(
        "/requests/catalog/new/",
        {
            "name": "Monitor",
            "slug": "monitor",
            "category": hardware.pk,
            "short_description": "A 27-inch screen.",
            "owner_team": desk.pk,
            "active": "on",
        },
        follow=True,
    )
    assert "Monitor is saved." in response.content.decode()
    item = CatalogItem.objects.get(slug="monitor")
    client.post(
        "/requests/catalog/monitor/steps/",
        {"name": "Unbox and deliver", "team": desk.pk, "order": 10, "action": "manual"},
    )
    missing_team = client.post(
        "/requests/catalog/monitor/steps/",
        {"name": "Add to screens group", "team": desk.pk, "order": 20, "action": "add_to_team"},
    )
    assert "Pick the team the person joins." in missing_team.content.decode()
    assert list(PlanStep.objects.filter(item=item).values_list("name", flat=True)) == [
        "Unbox and deliver"
    ]


def test_the_fulfiller_records_the_laptop_delivered(caller, laptop, desk):
    from tests.cmdb.factories import CIFactory

    machine = CIFactory(name="LT-0042 ThinkPad")
    item = services.request_submit(actor=caller, lines=[(laptop, {}, 1)]).items.get()
    agent = UserFactory(roles=[Role.AGENT])
    desk.members.add(agent)
    client = signed_in(agent)
    page = client.post(
        f"/requests/items/{item.number}/deliver/", {"ci": "LT-0042 ThinkPad"}, follow=True
    ).content.decode()
    assert "LT-0042 ThinkPad is recorded as delivered." in page
    item.refresh_from_db()
    machine.refresh_from_db()
    assert item.delivered_ci == machine
    assert machine.attributes["assigned_to"] == caller.username
    bad = client.post(f"/requests/items/{item.number}/deliver/", {"ci": "nothing"}, follow=True)
    assert "Not recorded" in bad.content.decode()


def test_ordered_items_lead_the_catalog_as_popular(caller, laptop, drive):
    from opsdesk.core.outbox import outbox_deliver_due

    services.request_submit(actor=caller, lines=[(laptop, {}, 1)])
    outbox_deliver_due()
    assert CatalogItem.objects.get(pk=laptop.pk).order_count == 1
    page = signed_in(caller).get("/portal/catalog/").content.decode()
    popular = page[page.index("Popular") : page.index("Everything you can order")]
    assert "New laptop" in popular and "shared drive" not in popular
