"""What a requester reads about their request: each item's and each step's state in plain
words, never a stored value."""

from django.utils import timezone
from django.utils.formats import date_format

from opsdesk.core.models import TaskState
from opsdesk.service_requests.models import AutomationState, ItemState, RequestItem
from opsdesk.service_requests.selectors import plan_tasks_of


def _day(moment) -> str:
    return date_format(timezone.localtime(moment), "j M") if moment else ""


def item_story(item: RequestItem) -> str:
    """One sentence: where the item is and what happens next."""
    S = ItemState
    team = item.assignment_group.name if item.assignment_group_id else "the service desk"
    if item.state == S.SUBMITTED:
        return "We have your order and are checking it."
    if item.state == S.AWAITING_APPROVAL:
        return "Waiting for approval. You hear from us as soon as it is decided."
    if item.state == S.APPROVED:
        return f"Approved on {_day(item.approved_at)}; {team} starts on it next."
    if item.state == S.IN_FULFILMENT:
        return f"{team} is working on it."
    if item.state == S.INFO_NEEDED:
        return "We need something from you before we can go on: see the question below."
    if item.state == S.FULFILLED:
        return f"Delivered on {_day(item.resolved_at)}. Tell us if anything is missing."
    if item.state == S.CLOSED:
        return f"Done and closed on {_day(item.closed_at)}."
    if item.state == S.REJECTED:
        reason = f" The reason given: “{item.close_reason}”" if item.close_reason else ""
        return f"Not approved.{reason}"
    return f"Cancelled on {_day(item.closed_at)}."


TASK_WORDS = {
    TaskState.OPEN: "Waiting to be picked up",
    TaskState.IN_PROGRESS: "In progress",
    TaskState.ON_HOLD: "Paused",
    TaskState.CLOSED_COMPLETE: "Done",
    TaskState.CLOSED_INCOMPLETE: "Could not be done",
    TaskState.CANCELLED: "Not needed",
}


def plan_story(item: RequestItem) -> list[dict]:
    """Every step of the item's plan: who does it and how far it is, in plan order."""
    rows = {row.step_id: row for row in plan_tasks_of(item)}
    story = []
    for step in item.catalog_item.steps.select_related("team").order_by("order", "pk"):
        row = rows.get(step.pk)
        if row is None:
            words = (
                "Not needed"
                if not item.is_open and item.state != ItemState.FULFILLED
                else "Starts after an earlier step"
            )
            done = False
        else:
            words = TASK_WORDS.get(row.task.state, "In progress")
            if row.automation == AutomationState.SUCCEEDED:
                words = "Done automatically"
            done = not row.task.is_open
        story.append(
            {
                "name": step.name,
                "team": step.team.name,
                "words": words,
                "done": done,
                "at": row.task.closed_at if row is not None else None,
            }
        )
    return story


def approval_story(item: RequestItem) -> list[dict]:
    """Each approval stage of the item: its name, how it stands, and each approver's answer."""
    from opsdesk.approvals.selectors import approval_story as story_of

    return story_of(subject=item)
