"""An item's form: its questions on the order page, conditions, server-side checks with
field messages and no partial request, typed answers kept, shown and passed to the tasks."""

from decimal import Decimal

import pytest
from django.test import Client

from opsdesk.core.formschema import form_schema_save
from opsdesk.core.models import FormAnswer
from opsdesk.core.testing.factories import TeamFactory, admin
from opsdesk.core.tickets.task import tasks_of
from opsdesk.service_requests import services
from opsdesk.service_requests.models import ServiceRequest
from opsdesk.service_requests.selectors import answer_values
from opsdesk.service_requests.testing import CatalogItemFactory, PlanStepFactory

pytestmark = pytest.mark.django_db

LAPTOP_FORM = [
    {
        "key": "model",
        "label": "Model",
        "type": "single_choice",
        "required": True,
        "choices": [
            {"value": "standard", "label": "Standard 14-inch"},
            {"value": "developer", "label": "Developer 16-inch"},
        ],
    },
    {
        "key": "justification",
        "label": "Why the developer model",
        "type": "long_text",
        "visible_if": "model == 'developer'",
        "required_if": "model == 'developer'",
    },
    {"key": "needed_by", "label": "Needed by", "type": "date"},
    {"key": "ram_gb", "label": "Memory (GB)", "type": "number", "min": 8, "max": 64},
]


@pytest.fixture
def laptop():
    desk = TeamFactory(name="Desk")
    form = form_schema_save(actor=admin(), name="Laptop", slug="laptop", fields=LAPTOP_FORM)
    item = CatalogItemFactory(
        name="New laptop", slug="new-laptop", form=form, owner_team=desk, cost=Decimal("1250")
    )
    PlanStepFactory(item=item, name="Build the laptop", team=desk)
    return item


def test_answers_are_checked_on_the_server_and_nothing_is_written_when_wrong(caller, laptop):
    bad = {"model": "developer", "ram_gb": "512", "needed_by": "tomorrow"}
    with pytest.raises(Exception) as refused:
        services.request_submit(actor=caller, lines=[(laptop, bad, 1)])
    fields = refused.value.fields
    assert {"justification", "ram_gb", "needed_by"} <= set(fields)
    assert not ServiceRequest.objects.exists() and not FormAnswer.objects.exists()


def test_good_answers_are_kept_typed_and_reach_the_task(caller, laptop):
    answers = {
        "model": "developer",
        "justification": "Builds the store's images",
        "ram_gb": "32",
        "needed_by": "2027-01-11",
    }
    request = services.request_submit(actor=caller, lines=[(laptop, answers, 1)])
    item = request.items.get()
    values = answer_values(item)
    assert values["model"] == "developer" and values["ram_gb"] == Decimal("32")
    assert str(values["needed_by"]) == "2027-01-11"
    ram = FormAnswer.objects.get(field_key="ram_gb")
    assert ram.value_number == Decimal("32")
    # The fulfiller's task page shows the answers.
    from opsdesk.core.roles import Role
    from opsdesk.core.testing.factories import UserFactory

    fulfiller = UserFactory(roles=[Role.AGENT])
    client = Client()
    client.force_login(fulfiller)
    page = client.get(f"/tasks/{tasks_of(item).get().pk}/").content.decode()
    assert "Why the developer model" in page and "Builds the store" in page


def test_a_hidden_answer_is_dropped(caller, laptop):
    answers = {"model": "standard", "justification": "sneaked in"}
    item = services.request_submit(actor=caller, lines=[(laptop, answers, 1)]).items.get()
    assert "justification" not in answer_values(item)


def test_the_order_page_asks_the_questions_and_shows_field_messages(caller, laptop):
    client = Client()
    client.force_login(caller)
    page = client.get("/portal/catalog/new-laptop/").content.decode()
    assert "Model" in page and "Developer 16-inch" in page
    assert "Why the developer model" not in page  # hidden until the developer model is chosen
    page = client.post(
        "/portal/catalog/new-laptop/", {"quantity": "1", "item-model": "developer"}
    ).content.decode()
    assert "Why the developer model" in page and not ServiceRequest.objects.exists()
    response = client.post(
        "/portal/catalog/new-laptop/",
        {"quantity": "1", "item-model": "developer", "item-justification": "Image builds"},
        follow=True,
    )
    request = ServiceRequest.objects.get()
    page = response.content.decode()
    assert f"{request.number} is submitted" in page and "Image builds" in page


def test_the_api_orders_with_answers_and_names_bad_ones(caller, laptop):
    from opsdesk.core.testing.api import assert_error_shape, client_for

    api = client_for(caller)
    bad = api.post(
        "/api/requests/requests/",
        {"items": [{"catalog_item": "new-laptop", "answers": {"model": "tablet"}}]},
        format="json",
    )
    assert_error_shape(bad, 400, "model")
    good = api.post(
        "/api/requests/requests/",
        {"items": [{"catalog_item": "new-laptop", "answers": {"model": "standard"}}]},
        format="json",
    )
    assert good.status_code == 201


def test_the_api_gives_an_items_questions(caller, laptop):
    from opsdesk.core.testing.api import client_for

    body = client_for(caller).get("/api/requests/catalog/new-laptop/").json()
    assert body["form"] == "laptop"
    assert [f["key"] for f in body["form_fields"]] == [
        "model",
        "justification",
        "needed_by",
        "ram_gb",
    ]


def test_the_approver_reads_the_answers_as_the_requester_gave_them(caller, laptop):
    from opsdesk.core.roles import Role
    from opsdesk.core.testing.factories import UserFactory
    from opsdesk.service_requests.testing import manager_approval

    caller.manager = UserFactory(roles=[Role.APPROVER])
    caller.save()
    laptop.needs_approval = True
    laptop.approval_scheme = manager_approval()
    laptop.save()
    answers = {"model": "developer", "justification": "Image builds", "ram_gb": "32"}
    services.request_submit(actor=caller, lines=[(laptop, answers, 2)])
    client = Client()
    client.force_login(caller.manager)
    page = client.get("/approvals/").content.decode()
    assert "Model" in page and "Developer 16-inch" in page and ">developer<" not in page
    assert "Memory (GB)" in page
    assert "Cost" in page and "2500" in page and "2500.0" not in page
