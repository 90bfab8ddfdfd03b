"""Outbox reactions of request fulfilment: the plan moves on when a task closes; webhooks of
standard requests are called, retried, and fall back to a person."""

from opsdesk.core.models import Task
from opsdesk.core.outbox import outbox_handler
from opsdesk.service_requests import automation, services


@outbox_handler("task.completed")
@outbox_handler("task.closed_incomplete")
@outbox_handler("task.cancelled")
def plan_moves_on(*, event_id, topic, payload):
    task = Task.objects.filter(pk=payload.get("task_id")).first()
    if task is not None:
        services.plan_task_closed(task=task)


@outbox_handler("request_item.automation_due")
def call_automation(*, event_id, topic, payload):
    automation.webhook_run(event_id=event_id, item_task_id=payload["item_task_id"])


@outbox_handler("request_item.opened")
def count_the_order(*, event_id, topic, payload):
    """Popular items: one more order of the catalog item (in a short transaction of its own)."""
    services.catalog_item_counted(catalog_item_id=payload.get("catalog_item_id"))
