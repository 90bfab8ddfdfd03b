"""Standard requests' webhooks: the team's automation is called, signed, and retried.

The worker POSTs the task to the step's address with ``X-Opsdesk-Signature`` (HMAC-SHA256 of
the body with the step's secret). A 2xx answer closes the task as done by automation, with the
answer recorded on it; anything else is retried with the outbox's back-off, and after
``AUTOMATION_ATTEMPTS`` tries the task stays with its team to be done by hand.
"""

import json

from django.conf import settings

from opsdesk.core.models import OutboxEvent
from opsdesk.core.outbound import signed_post
from opsdesk.service_requests.models import AutomationState, ItemTask
from opsdesk.service_requests.services import automation_failed, automation_succeeded

USER_AGENT = "opsdesk-automation/1"


def attempts_allowed() -> int:
    return int(getattr(settings, "OPSDESK_AUTOMATION_ATTEMPTS", 3))


class AutomationRetry(Exception):
    """The automation did not answer yet; the outbox tries again later."""


def webhook_body(row: ItemTask) -> bytes:
    from opsdesk.service_requests.selectors import answer_values

    item, task = row.item, row.task
    person = item.requested_for or item.caller
    return json.dumps(
        {
            "task": task.number,
            "item": item.number,
            "request": item.request.number,
            "catalog_item": item.catalog_item.slug,
            "step": row.step.name,
            "requested_for": {
                "username": person.username,
                "email": person.email,
                "name": person.get_full_name(),
            },
            "variables": answer_values(item),
        },
        default=str,
        sort_keys=True,
    ).encode()


def webhook_run(*, event_id: int, item_task_id: int) -> None:
    row = (
        ItemTask.objects.select_related("item__request", "item__catalog_item", "step", "task")
        .filter(pk=item_task_id)
        .first()
    )
    if row is None or row.automation != AutomationState.RUNNING:
        return  # done already: delivery is at least once
    status, error = signed_post(
        row.step.webhook_url,
        secret=row.step.webhook_secret,
        body=webhook_body(row),
        headers={"User-Agent": USER_AGENT, "X-Opsdesk-Task": row.task.number},
    )
    if status is not None and 200 <= status < 300:
        automation_succeeded(row=row, result=f"The automation answered HTTP {status}.")
        return
    problem = error or f"HTTP {status}"
    tried = OutboxEvent.objects.filter(pk=event_id).values_list("attempts", flat=True).first() or 0
    if tried + 1 < attempts_allowed():
        raise AutomationRetry(problem)
    automation_failed(row=row, result=f"After {tried + 1} tries: {problem}")
