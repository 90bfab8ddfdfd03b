"""Ordering, the plan's tasks running in order and in parallel, and the request following."""

import pytest

from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.models import OutboxEvent, Task, TicketHistory
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.task import tasks_of
from opsdesk.service_requests import services
from opsdesk.service_requests.models import ItemTask, RequestItem, ServiceRequest
from opsdesk.service_requests.testing import (
    CatalogItemFactory,
    PlanStepFactory,
    decide,
    manager_approval,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams():
    return {name: TeamFactory(name=name) for name in ("Desk", "Identity", "Facilities", "Network")}


@pytest.fixture
def new_starter(teams):
    """Accounts first; then a desk, a laptop and network ports at once."""
    item = CatalogItemFactory(name="New starter", slug="new-starter", owner_team=teams["Desk"])
    accounts = PlanStepFactory(item=item, name="Create accounts", team=teams["Identity"], order=10)
    for name, team in (("Desk and chair", "Facilities"), ("Network port", "Network")):
        PlanStepFactory(item=item, name=name, team=teams[team], order=20, after=[accounts])
    PlanStepFactory(item=item, name="Laptop", team=teams["Desk"], order=20, after=[accounts])
    return item


def close(task, agent, team):
    team.members.add(agent)
    tickets.ticket_transition(actor=agent, record=task, action="complete", reason="Done.")
    outbox_deliver_due()


def test_an_item_without_approval_starts_its_plan_as_the_system(caller, new_starter):
    request = services.request_submit(actor=caller, lines=[(new_starter, {}, 1)])
    item = request.items.get()
    assert item.number.startswith("RITM") and request.number.startswith("REQ")
    assert item.state == "in_fulfilment" and item.approved_at is not None
    assert request.__class__.objects.get(pk=request.pk).state == "in_fulfilment"
    (first,) = tasks_of(item)
    assert first.short_description.startswith("Create accounts")
    assert first.assignment_group.name == "Identity"
    # The system made the moves, whoever ordered.
    approve = TicketHistory.objects.get(record_type="request_item", to_value="approved")
    assert approve.actor_id is None


def test_parallel_steps_start_together_and_the_last_fulfils(caller, new_starter, teams):
    worker = UserFactory(roles=["agent"])
    request = services.request_submit(actor=caller, lines=[(new_starter, {}, 1)])
    item = request.items.get()
    close(tasks_of(item).get(), worker, teams["Identity"])
    parallel = list(tasks_of(item))[1:]
    assert sorted(t.assignment_group.name for t in parallel) == ["Desk", "Facilities", "Network"]
    for task in parallel[:-1]:
        close(task, worker, task.assignment_group)
        assert RequestItem.objects.get(pk=item.pk).state == "in_fulfilment"
    close(parallel[-1], worker, parallel[-1].assignment_group)
    item.refresh_from_db()
    assert item.state == "fulfilled" and item.resolved_at is not None
    assert ServiceRequest.objects.get(pk=request.pk).state == "fulfilled"


def test_a_skipped_step_lets_the_plan_go_on(caller, new_starter, teams):
    worker = UserFactory(roles=["agent"])
    teams["Identity"].members.add(worker)
    request = services.request_submit(actor=caller, lines=[(new_starter, {}, 1)])
    item = request.items.get()
    first = tasks_of(item).get()
    with pytest.raises(ValidationFailed):
        services.plan_task_skip(actor=worker, task=first, reason=" ")
    services.plan_task_skip(actor=worker, task=first, reason="Accounts exist already")
    outbox_deliver_due()
    assert Task.objects.get(pk=first.pk).state == "cancelled"
    assert tasks_of(item).count() == 4


def test_the_plan_moves_on_once_however_often_the_fact_arrives(caller, new_starter, teams):
    worker = UserFactory(roles=["agent"])
    request = services.request_submit(actor=caller, lines=[(new_starter, {}, 1)])
    item = request.items.get()
    task = tasks_of(item).get()
    close(task, worker, teams["Identity"])
    services.plan_task_closed(task=task)  # a second delivery of the same fact
    assert ItemTask.objects.filter(item=item).count() == 4


def test_an_item_without_a_plan_waits_for_its_team(caller, teams):
    laptop = CatalogItemFactory(name="Mouse", slug="mouse", owner_team=teams["Desk"])
    item = services.request_submit(actor=caller, lines=[(laptop, {}, 1)]).items.get()
    assert item.state == "in_fulfilment" and item.assignment_group == teams["Desk"]
    agent = UserFactory(roles=["agent"])
    services.item_transition(actor=agent, item=item, action="fulfil")
    assert ServiceRequest.objects.get(pk=item.request_id).state == "fulfilled"
    services.item_transition(actor=caller, item=item, action="close")
    assert ServiceRequest.objects.get(pk=item.request_id).state == "closed"


def test_an_item_needing_approval_waits_without_a_clock(caller, teams):
    from opsdesk.sla.models import SlaTimer

    caller.manager = UserFactory(display_name="Jordan Head")
    caller.save()
    laptop = CatalogItemFactory(
        needs_approval=True, approval_scheme=manager_approval(), owner_team=teams["Desk"]
    )
    item = services.request_submit(actor=caller, lines=[(laptop, {}, 1)]).items.get()
    assert item.state == "awaiting_approval"
    assert ServiceRequest.objects.get(pk=item.request_id).state == "awaiting_approval"
    assert not SlaTimer.objects.filter(record_type="request_item").exists()
    decide(item, "reject", "Over budget this quarter")
    item.refresh_from_db()
    assert item.state == "rejected" and item.close_reason == "Over budget this quarter"
    assert ServiceRequest.objects.get(pk=item.request_id).state == "rejected"
    assert OutboxEvent.objects.filter(topic="request_item.rejected").exists()


def test_the_fulfilment_clock_starts_at_approval_and_pauses_for_the_requester(caller, teams):
    from datetime import timedelta

    from opsdesk.sla.models import SlaTimer
    from tests.sla.factories import CalendarFactory, PolicyFactory

    PolicyFactory(
        name="Hardware in 3 days",
        record_type="request_item",
        conditions={"catalog_item": ["monitor"]},
        response_target=None,
        response_calendar=CalendarFactory(name="24x7", always_open=True, working_hours={}),
        resolution_target=timedelta(days=3),
        pause_states=["info_needed"],
    )
    caller.manager = UserFactory(display_name="Jordan Head")
    caller.save()
    monitor = CatalogItemFactory(
        name="Monitor",
        slug="monitor",
        needs_approval=True,
        approval_scheme=manager_approval(),
        owner_team=teams["Desk"],
    )
    item = services.request_submit(actor=caller, lines=[(monitor, {}, 1)]).items.get()
    decide(item, "approve")
    timer = SlaTimer.objects.get(record_type="request_item", kind="resolution")
    assert timer.state == "running"
    agent = UserFactory(roles=["agent"])
    services.item_transition(actor=agent, item=item, action="ask", reason="Which size?")
    timer.refresh_from_db()
    assert timer.state == "paused"
    services.item_add_information(actor=caller, item=item, body="27 inch, please")
    timer.refresh_from_db()
    item.refresh_from_db()
    assert timer.state == "running" and item.state == "in_fulfilment"


def test_ordering_for_someone_else(caller, teams):
    colleague = UserFactory(first_name="Nina", last_name="Patel")
    item = CatalogItemFactory(name="Headset", slug="headset", owner_team=teams["Desk"])
    request = services.request_submit(actor=caller, lines=[(item, {}, 1)], requested_for=colleague)
    assert request.requested_for == colleague and request.caller == caller
    assert request.short_description == "Headset for Nina Patel"
    assert tickets.ticket_type_of(request).visible_to(request, colleague)


@pytest.mark.parametrize(
    "quantity,field",
    [(0, "quantity"), (21, "quantity"), ("two", "quantity")],
)
def test_bad_orders_write_nothing(caller, teams, quantity, field):
    item = CatalogItemFactory(owner_team=teams["Desk"])
    with pytest.raises(ValidationFailed) as refused:
        services.request_submit(actor=caller, lines=[(item, {}, quantity)])
    assert field in refused.value.fields
    assert not ServiceRequest.objects.exists() and not RequestItem.objects.exists()


def test_an_item_outside_the_audience_cannot_be_ordered(caller, teams):
    item = CatalogItemFactory(audience_departments=["Engineering"], owner_team=teams["Desk"])
    with pytest.raises(ValidationFailed) as refused:
        services.request_submit(actor=caller, lines=[(item, {}, 1)])
    assert "catalog_item" in refused.value.fields
    engineer = UserFactory(department="Engineering")
    services.request_submit(actor=engineer, lines=[(item, {}, 1)])


def test_an_inactive_person_cannot_be_ordered_for(caller, teams):
    gone = UserFactory(is_active=False)
    item = CatalogItemFactory(owner_team=teams["Desk"])
    with pytest.raises(ValidationFailed) as refused:
        services.request_submit(actor=caller, lines=[(item, {}, 1)], requested_for=gone)
    assert "requested_for" in refused.value.fields


def test_cancelling_a_request_cancels_its_open_tasks(caller, new_starter):
    request = services.request_submit(actor=caller, lines=[(new_starter, {}, 1)])
    stranger = UserFactory()
    with pytest.raises(NotPermitted):
        services.request_cancel(actor=stranger, request=request, reason="Not needed")
    services.request_cancel(actor=caller, request=request, reason="She did not join after all")
    item = request.items.get()
    assert item.state == "cancelled"
    assert {t.state for t in tasks_of(item)} == {"cancelled"}
    assert ServiceRequest.objects.get(pk=request.pk).state == "cancelled"


def test_a_step_cannot_wait_for_itself(new_starter):
    from opsdesk.core.testing.factories import admin

    accounts = new_starter.steps.get(name="Create accounts")
    laptop = new_starter.steps.get(name="Laptop")
    with pytest.raises(ValidationFailed) as refused:
        services.plan_step_save(actor=admin(), step=accounts, after=[laptop])
    assert "after" in refused.value.fields


def test_only_catalog_managers_change_the_catalog(caller, agent_user, new_starter):
    from opsdesk.core.roles import Role

    for person in (caller, agent_user):
        with pytest.raises(NotPermitted):
            services.catalog_item_save(actor=person, item=new_starter, name="Renamed")
    manager = UserFactory(roles=[Role.CATALOG_MANAGER])
    services.catalog_item_save(actor=manager, item=new_starter, name="New starter kit")


def test_a_standard_order_writes_every_step_once_and_few_queries(caller, teams):
    """Ordering moves a fresh item in place (no re-reading what the order just wrote), yet
    its history, facts, dates and audit chain are those of each step."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opsdesk.core.audit import audit_verify

    item_model = CatalogItemFactory(name="Headset", slug="headset", owner_team=teams["Desk"])
    PlanStepFactory(item=item_model, name="Hand it over", team=teams["Desk"])
    services.request_submit(actor=caller, lines=[(item_model, {}, 1)])  # warm the caches
    first_event = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first()
    with CaptureQueriesContext(connection) as queries:
        request = services.request_submit(actor=caller, lines=[(item_model, {}, 1)])
    item = request.items.get()
    assert item.state == "in_fulfilment"
    assert item.approved_at is not None and item.fulfilment_started_at is not None
    moves = TicketHistory.objects.filter(
        record_type="request_item", record_id=item.pk, change="state"
    ).order_by("id")
    assert [(h.from_value, h.to_value, h.actor_id) for h in moves] == [
        ("submitted", "approved", None),
        ("approved", "in_fulfilment", None),
    ]
    topics = list(
        OutboxEvent.objects.filter(id__gt=first_event)
        .order_by("id")
        .values_list("topic", flat=True)
    )
    assert topics == [
        "service_request.opened",
        "request_item.opened",
        "request_item.state_changed",
        "request_item.approved",
        "request_item.state_changed",
        "request_item.fulfilment_started",
        "task.opened",
    ]
    assert audit_verify().first_broken_id is None
    # 79 statements before the order stopped re-reading its own rows and audit head.
    assert len(queries.captured_queries) <= 45, [q["sql"][:80] for q in queries.captured_queries]
