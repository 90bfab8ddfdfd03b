"""The request fulfilment API: ordering, following, moves, the catalog, and refusals."""

import pytest

from opsdesk.core.roles import Role
from opsdesk.core.testing.api import assert_error_shape, client_for
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.service_requests.models import CatalogItem, ServiceRequest
from opsdesk.service_requests.testing import CatalogItemFactory, CategoryFactory, PlanStepFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return TeamFactory(name="Desk")


@pytest.fixture
def headset(desk):
    item = CatalogItemFactory(name="Headset", slug="headset", owner_team=desk)
    PlanStepFactory(item=item, name="Hand it over", team=desk)
    return item


def test_ordering_through_the_api(caller, headset):
    colleague = UserFactory(username="nina")
    response = client_for(caller).post(
        "/api/requests/requests/",
        {"items": [{"catalog_item": "headset", "quantity": 2}], "requested_for": "nina"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("REQ") and body["state_label"] == "In fulfilment"
    (item,) = body["items"]
    assert item["quantity"] == 2 and item["requested_for"]["username"] == colleague.username
    assert item["tasks"][0]["step"] == "Hand it over"
    assert item["tasks"][0]["state_label"] == "Open"
    listed = client_for(colleague).get("/api/requests/requests/").json()
    assert [r["number"] for r in listed["results"]] == [body["number"]]


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"items": []}, "items.__all__"),
        ({"items": [{"catalog_item": "spaceship"}]}, "items.0.catalog_item"),
        ({"items": [{"catalog_item": "headset", "quantity": 0}]}, "items.0.quantity"),
        ({"items": [{"catalog_item": "headset"}], "requested_for": "nobody"}, "requested_for"),
        ({"items": "headset"}, "items.__all__"),
    ],
)
def test_bad_orders_get_field_messages_and_write_nothing(caller, headset, payload, field):
    response = client_for(caller).post("/api/requests/requests/", payload, format="json")
    assert_error_shape(response, 400, field)
    assert not ServiceRequest.objects.exists()


def test_an_item_outside_the_audience_is_refused(caller, desk):
    CatalogItemFactory(slug="trading-desk", audience_departments=["Trading"], owner_team=desk)
    response = client_for(caller).post(
        "/api/requests/requests/", {"items": [{"catalog_item": "trading-desk"}]}, format="json"
    )
    assert_error_shape(response, 400, "catalog_item")


def test_others_do_not_see_a_request(caller, headset):
    number = (
        client_for(caller)
        .post("/api/requests/requests/", {"items": [{"catalog_item": "headset"}]}, format="json")
        .json()["number"]
    )
    stranger = client_for(UserFactory(roles=[Role.REQUESTER]))
    assert stranger.get(f"/api/requests/requests/{number}/").status_code == 404
    assert stranger.get("/api/requests/requests/").json()["results"] == []


def test_item_moves_are_actions_with_their_permissions(caller, headset, desk):
    body = (
        client_for(caller)
        .post("/api/requests/requests/", {"items": [{"catalog_item": "headset"}]}, format="json")
        .json()
    )
    number = body["items"][0]["number"]
    agent = UserFactory(roles=[Role.AGENT])
    desk.members.add(agent)
    refused = client_for(caller).post(f"/api/requests/items/{number}/fulfil/", {}, format="json")
    assert_error_shape(refused, 403)
    no_reason = client_for(agent).post(f"/api/requests/items/{number}/ask/", {}, format="json")
    assert_error_shape(no_reason, 400, "reason")
    asked = client_for(agent).post(
        f"/api/requests/items/{number}/ask/", {"reason": "Wired or wireless?"}, format="json"
    )
    assert asked.json()["state_label"] == "Information needed"
    answered = client_for(caller).post(
        f"/api/requests/items/{number}/answer/", {"body": "Wireless"}, format="json"
    )
    assert answered.json()["state"] == "in_fulfilment"
    stale = client_for(agent).post(
        f"/api/requests/items/{number}/fulfil/", {"version": 1}, format="json"
    )
    assert_error_shape(stale, 409)
    done = client_for(agent).post(f"/api/requests/items/{number}/fulfil/", {}, format="json")
    assert done.json()["state_label"] == "Fulfilled"
    wrong = client_for(agent).post(f"/api/requests/items/{number}/ask/", {"reason": "x"})
    assert_error_shape(wrong, 400)


def test_the_catalog_lists_what_you_may_order_and_managers_change_it(caller, headset, desk):
    hidden = CatalogItemFactory(slug="old-phone", active=False, owner_team=desk)
    slugs = [i["slug"] for i in client_for(caller).get("/api/requests/catalog/").json()["results"]]
    assert slugs == ["headset"]
    refused = client_for(caller).patch(
        "/api/requests/catalog/headset/", {"name": "Better headset"}, format="json"
    )
    assert refused.status_code in (403, 404)
    manager = client_for(UserFactory(roles=[Role.CATALOG_MANAGER]))
    assert "old-phone" in [
        i["slug"] for i in manager.get("/api/requests/catalog/").json()["results"]
    ]
    changed = manager.patch(
        f"/api/requests/catalog/{hidden.slug}/", {"active": True, "version": 1}, format="json"
    )
    assert changed.status_code == 200 and CatalogItem.objects.get(pk=hidden.pk).active
    created = manager.post(
        "/api/requests/catalog/",
        {
            "slug": "webcam",
            "name": "Webcam",
            "category": headset.category.slug,
            "short_description": "A 1080p webcam.",
            "owner_team": "Desk",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    bad = manager.post(
        "/api/requests/catalog/",
        {
            "slug": "x",
            "name": "X",
            "category": "nope",
            "short_description": "",
            "owner_team": "Desk",
        },
        format="json",
    )
    assert_error_shape(bad, 400, "category")
    CategoryFactory(slug="empty")
