"""Work orders: a throwaway record type declared through the registry, nothing more."""

from django.db import models
from django.urls import reverse

from opsdesk.core.models import Ticket
from opsdesk.core.models.tickets import HistoryChange
from opsdesk.core.tickets.registry import Queue, TicketType, register
from opsdesk.core.workflow import Effect, Transition, Workflow
from opsdesk.sla.tickets import TicketClocks


class WorkOrderState(models.TextChoices):
    NEW = "new", "New"
    WORKING = "working", "Working"
    WAITING = "waiting", "Waiting for parts"
    DONE = "done", "Done"
    CLOSED = "closed", "Closed"


class WorkOrder(Ticket):
    NUMBER_PREFIX = "WO"

    state = models.CharField(
        max_length=20, choices=WorkOrderState.choices, default=WorkOrderState.NEW
    )
    location = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]


def _needs_group(record, **_):
    return None if record.assignment_group_id else {"assignment_group": "Assign a group first."}


def _done(record, *, now, **_):
    return {"resolved_at": now}


S = WorkOrderState
WORK_ORDER_WORKFLOW = Workflow(
    states=dict(S.choices),
    initial=S.NEW,
    transitions=(
        Transition("start", frozenset({S.NEW}), S.WORKING, "Start", (_needs_group,)),
        Transition("wait", frozenset({S.WORKING}), S.WAITING, "Wait for parts"),
        Transition("resume", frozenset({S.WAITING}), S.WORKING, "Resume"),
        Transition("finish", frozenset({S.WORKING}), S.DONE, "Finish"),
        Transition("close", frozenset({S.DONE}), S.CLOSED, "Close"),
    ),
    final=frozenset({S.CLOSED}),
    resolved=frozenset({S.DONE}),
    waiting=frozenset({S.WAITING}),
    effects={
        "finish": Effect(
            topic="finished", values=_done, milestone=HistoryChange.RESOLVED, clock="resolved"
        ),
        "close": Effect(topic="closed", clock="closed"),
    },
)


def register_work_orders():
    register(
        TicketType(
            key="work_order",
            label="Work order",
            model=WorkOrder,
            prefix=WorkOrder.NUMBER_PREFIX,
            workflow=WORK_ORDER_WORKFLOW,
            url=lambda record: reverse("core:home") + f"#work-order-{record.pk}",
            # No portal page of its own: the portal's page for any record type.
            portal_url=lambda record: reverse("servicedesk:record", args=["work_order", record.pk]),
            # Done asks the caller how it went, as a resolved incident does.
            survey_states=frozenset({WorkOrderState.DONE}),
            search_fields={"short_description": "A", "description": "C"},
            queues=(
                Queue(
                    "unassigned",
                    "Unassigned",
                    lambda qs, viewer: qs.filter(assignee__isnull=True),
                ),
            ),
            clocks=TicketClocks(record_type="work_order", workflow=WORK_ORDER_WORKFLOW),
        )
    )
