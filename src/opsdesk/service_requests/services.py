"""Every write of request fulfilment: ordering, approval outcomes, the plan, the catalog.

Ordering validates everything before writing anything, so bad answers give field messages and
no partial request. An item's approval and plan move it by themselves, as the system: the
approvers' outcome approves or rejects it, the plan's last task fulfils it.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from opsdesk.approvals.conditions import plain_answer
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.formschema import answers_save, validate
from opsdesk.core.models import Task, TaskState, User
from opsdesk.core.records import record_create, record_update
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import ticket_type
from opsdesk.core.tickets.task import task_create
from opsdesk.service_requests.models import (
    AutomationState,
    CatalogCategory,
    CatalogItem,
    ItemState,
    ItemTask,
    PlanStep,
    RequestItem,
    ServiceRequest,
    StepAction,
)
from opsdesk.service_requests.selectors import (
    catalog_item_for,
    may_manage_catalog,
    plan_task_of,
)
from opsdesk.service_requests.workflow import request_state_for

MAX_QUANTITY = 20
MAX_LINES = 20
TASK_DONE = frozenset({TaskState.CLOSED_COMPLETE, TaskState.CLOSED_INCOMPLETE, TaskState.CANCELLED})


# --- ordering ---------------------------------------------------------------------------------
def _checked_lines(actor, lines, answers_prefix: str = "") -> list[tuple[CatalogItem, dict, int]]:
    """Each (item, raw answers, quantity) line checked, or every problem at once."""
    if not lines:
        raise ValidationFailed("Pick something to order.", fields={"items": ["Nothing ordered."]})
    if len(lines) > MAX_LINES:
        raise ValidationFailed(
            "That is too many items at once.", fields={"items": [f"At most {MAX_LINES}."]}
        )
    checked, problems = [], {}
    for index, (item, raw, quantity) in enumerate(lines):
        prefix = "" if len(lines) == 1 else f"items.{index}."
        available = item is not None and catalog_item_for(viewer=actor, slug=item.slug)
        if not available:
            problems[f"{prefix}catalog_item"] = ["This item cannot be ordered."]
            continue
        try:
            quantity = 1 if quantity in (None, "") else int(quantity)
        except (TypeError, ValueError):
            quantity = 0
        if not 1 <= quantity <= MAX_QUANTITY:
            problems[f"{prefix}quantity"] = [f"Order between 1 and {MAX_QUANTITY}."]
        cleaned, errors = answers_clean(item, raw or {}, user=actor, prefix=answers_prefix)
        for key, messages in errors.items():
            problems[f"{prefix}{key}"] = messages
        checked.append((item, cleaned, quantity))
    if problems:
        raise ValidationFailed("Some answers need another look.", fields=problems)
    return checked


def _checked_requested_for(actor, requested_for) -> User:
    if requested_for is None:
        return actor
    if not requested_for.is_active:
        raise ValidationFailed(
            "That person cannot receive requests.",
            fields={"requested_for": ["Pick an active colleague."]},
        )
    return requested_for


@transaction.atomic
def request_submit(
    *, actor, lines, requested_for=None, channel_label: str = "", answers_prefix: str = ""
) -> ServiceRequest:
    """Order ``lines`` of (catalog item, raw answers, quantity) for ``requested_for``.

    ``answers_prefix`` is the prefix of the answers' names in a posted form (``item-model``).

    One request (REQ) with an item (RITM) per line; each item then asks for its approval or,
    needing none, is approved and its plan starts, as the system.
    """
    if actor is None or not actor.is_authenticated:
        raise NotPermitted("Sign in to order.")
    checked = _checked_lines(actor, lines, answers_prefix)
    requested_for = _checked_requested_for(actor, requested_for)
    first = checked[0][0]
    summary = first.name if len(checked) == 1 else f"{first.name} and {len(checked) - 1} more"
    if requested_for != actor:
        summary = f"{summary} for {requested_for.get_full_name() or requested_for.username}"
    # The request opens in the state its items are about to reach (in fulfilment, or awaiting
    # approval), so it does not move twice in its first instant; following its items at the
    # end corrects it when an approval decides at once.
    expected = request_state_for(
        [
            ItemState.AWAITING_APPROVAL if _asks_approval(item) else ItemState.IN_FULFILMENT
            for item, _, _ in checked
        ]
    )
    request = tickets.ticket_create(
        ticket_type("service_request"),
        actor=actor,
        values={
            "short_description": summary[:200],
            "caller": actor,
            "requested_for": requested_for,
            "assignment_group": first.owner_team,
            "state": expected,
        },
        channel_label=channel_label,
    )
    tickets.ticket_publish(request, "opened", actor=actor)
    items = [
        _item_create(actor, request, catalog_item, cleaned, quantity, requested_for, channel_label)
        for catalog_item, cleaned, quantity in checked
    ]
    for item in items:
        _item_begin(item, actor)
    request_follow_items(request)
    return request


def _item_create(actor, request, catalog_item, cleaned, quantity, requested_for, channel_label):
    item = tickets.ticket_create(
        ticket_type("request_item"),
        actor=actor,
        values={
            "request": request,
            "catalog_item": catalog_item,
            "quantity": quantity,
            "short_description": catalog_item.name,
            "description": catalog_item.short_description,
            "caller": actor,
            "requested_for": requested_for,
            "assignment_group": catalog_item.owner_team,
        },
        channel_label=channel_label,
    )
    answers_keep(item, catalog_item, cleaned, actor=actor, new_record=True)
    # The catalog's order count is bumped by the outbox afterwards (handlers.py): one shared
    # row updated inside every order would make concurrent orders of one item wait in line.
    tickets.ticket_publish(
        item,
        "opened",
        actor=actor,
        request_number=request.number,
        catalog_item_id=catalog_item.pk,
    )
    return item


def _asks_approval(catalog_item: CatalogItem) -> bool:
    return catalog_item.needs_approval and not catalog_item.standard


def _item_begin(item: RequestItem, actor) -> None:
    """Ask for approval, or approve at once and start the plan: the system's steps.

    ``item`` was inserted by this transaction, so it is its current, locked copy: the moves
    change it in place instead of reading it again.
    """
    if _asks_approval(item.catalog_item):
        item = _system_move(item, "request_approval", is_locked=True)
        approval_begin(item, actor=actor)
    else:
        _approval_outcome(item, approved=True, reason="", is_locked=True, fresh=True)


def _system_move(item, action: str, *, is_locked: bool = False, **kwargs):
    current = item if is_locked else tickets.locked(item)
    return tickets.ticket_transition_step(current, action, actor=None, now=timezone.now(), **kwargs)


# --- the seams to the form engine and the approval engine -------------------------------------
def answers_clean(item: CatalogItem, raw, *, user, prefix: str = "") -> tuple[dict, dict]:
    """The item's form answers checked on the server, whatever the browser did: (cleaned
    values, field messages by field key)."""
    if item.form_id is None:
        return {}, {}
    return validate(item.form, raw, user=user, prefix=prefix)


def answers_keep(
    record, catalog_item: CatalogItem, cleaned: dict, *, actor, new_record: bool = False
) -> None:
    """Keep the cleaned answers with the item, typed and queryable (``core.FormAnswer``)."""
    if catalog_item.form_id is not None:
        answers_save(
            record=record,
            schema=catalog_item.form,
            cleaned=cleaned,
            actor=actor,
            new_record=new_record,
        )


def approval_answers(item: RequestItem) -> dict:
    """What stage conditions read: the form's answers, the quantity and the total cost."""
    from opsdesk.service_requests.selectors import answer_values

    catalog_item = item.catalog_item
    cost = float(catalog_item.cost or 0) * item.quantity
    answers = {key: plain_answer(value) for key, value in answer_values(item).items()}
    return {**answers, "quantity": item.quantity, "cost": cost}


def approval_begin(item: RequestItem, *, actor) -> None:
    """Start the item's approval; the outcome comes back through ``approval_outcome`` (the
    approval engine calls it in the deciding transaction)."""
    from opsdesk.approvals.services import approval_start

    catalog_item = item.catalog_item
    scheme = catalog_item.approval_scheme
    if scheme is None:  # catalog_item_save refuses an item that needs approval without one
        raise ValidationFailed(
            f"{catalog_item.name} names nobody to approve it.",
            fields={"catalog_item": ["Ask a catalog manager to pick its approval scheme."]},
        )
    approval_start(
        subject=item,
        scheme=scheme,
        answers=approval_answers(item),
        requested_for=item.requested_for or item.caller,
        actor=actor,
        privileged=catalog_item.privileged,
        service=catalog_item.service,
    )


def approval_outcome(*, subject, approval, outcome: str, actor) -> None:
    """The approval engine's answer for a request item: approved or rejected, with reason."""
    item_approval_outcome(item=subject, approved=outcome == "approved", reason=approval.reason)


# --- approval outcome -------------------------------------------------------------------------
@transaction.atomic
def item_approval_outcome(*, item: RequestItem, approved: bool, reason: str = "") -> RequestItem:
    """The approvers decided (or nobody needed to): approve and start the plan, or reject."""
    item = _approval_outcome(item, approved=approved, reason=reason)
    request_follow_items(item.request)
    return item


def _approval_outcome(
    item: RequestItem, *, approved: bool, reason: str, is_locked: bool = False, fresh: bool = False
) -> RequestItem:
    """``is_locked``: ``item`` is this transaction's current, locked copy; ``fresh``: it was
    ordered in this transaction, so no task of its plan exists yet."""
    if approved:
        item = _system_move(item, "approve", is_locked=is_locked)
        return plan_start(item, is_locked=True, fresh=fresh)
    return _system_move(item, "reject", reason=reason or "Rejected.", is_locked=is_locked)


# --- the request follows its items ------------------------------------------------------------
def request_follow_items(request: ServiceRequest) -> ServiceRequest:
    current = tickets.locked(request)
    states = list(RequestItem.objects.filter(request=current).values_list("state", flat=True))
    target = request_state_for(states)
    if target == current.state:
        return current
    return tickets.ticket_transition_step(
        current, f"follow_{target}", actor=None, now=timezone.now()
    )


# --- fulfilment plan --------------------------------------------------------------------------
def plan_start(item: RequestItem, *, is_locked: bool = False, fresh: bool = False) -> RequestItem:
    """Begin fulfilment as the system: the steps without predecessors get their tasks."""
    item = _system_move(item, "start", is_locked=is_locked)
    _plan_advance(item, fresh=fresh)
    return item


def _plan_advance(item: RequestItem, *, fresh: bool = False) -> None:
    """Give the ready steps their tasks, or fulfil the item once every task is done.
    ``fresh``: the item was ordered in this transaction, so none of its tasks exists yet."""
    if item.state != ItemState.IN_FULFILMENT:
        return
    steps = list(
        item.catalog_item.steps.select_related("team", "target_team")
        .prefetch_related("after")
        .order_by("order", "pk")
    )
    if not steps:
        return  # fulfilled by hand by the owner team
    made = (
        {}
        if fresh
        else {
            row.step_id: row.task.state
            for row in ItemTask.objects.filter(item=item).select_related("task")
        }
    )
    ready = [
        step
        for step in steps
        if step.pk not in made and all(made.get(p.pk) in TASK_DONE for p in step.after.all())
    ]
    for step in ready:
        made[step.pk] = _step_task(item, step).task.state
    if len(made) == len(steps) and all(state in TASK_DONE for state in made.values()):
        current = tickets.locked(item)
        if current.state == ItemState.IN_FULFILMENT:
            tickets.ticket_transition_step(
                current,
                "fulfil",
                actor=None,
                now=timezone.now(),
                reason="Every task of the plan is done.",
            )
            request_follow_items(item.request)


def _step_task(item: RequestItem, step: PlanStep) -> ItemTask:
    due_at = timezone.now() + timedelta(hours=step.ola_hours) if step.ola_hours else None
    task = task_create(
        actor=None,
        parent=item,
        short_description=f"{step.name}: {item.catalog_item.name} for {_person(item)}",
        description=step.instructions,
        assignment_group=step.team,
        priority=min(item.priority, 4),
        due_at=due_at,
    )
    row = ItemTask.objects.create(
        item=item,
        step=step,
        task=task,
        automation=AutomationState.RUNNING if step.automated else AutomationState.NONE,
    )
    if step.action == StepAction.ADD_TO_TEAM:
        _add_to_team(row)
    elif step.action == StepAction.WEBHOOK:
        tickets.ticket_publish(
            item, "automation_due", actor=None, item_task_id=row.pk, task_number=task.number
        )
    return row


def _person(item) -> str:
    person = item.requested_for or item.caller
    return person.get_full_name() or person.username


def _add_to_team(row: ItemTask) -> None:
    """The built-in action: the person the item is for joins the step's target team."""
    from opsdesk.core.services import team_update

    step, item = row.step, row.item
    person = item.requested_for or item.caller
    team = step.target_team
    if team is None:
        automation_failed(row=row, result="The step names no team to add the person to.")
        return
    members = list(team.members.values_list("pk", flat=True))
    if person.pk not in members:
        team_update(actor=None, team=team, members=[*members, person.pk])
    automation_succeeded(row=row, result=f"Added {_person(item)} to {team.name}.")


@transaction.atomic
def automation_succeeded(*, row: ItemTask, result: str) -> None:
    """The step's automation did the work: its task closes complete, as the system."""
    ItemTask.objects.filter(pk=row.pk).update(
        automation=AutomationState.SUCCEEDED, automation_result=result[:4000]
    )
    task = tickets.locked(row.task)
    if task.state in TASK_DONE:
        return
    tickets.ticket_transition_step(
        task, "complete", actor=None, now=timezone.now(), reason=f"Done by automation: {result}"
    )


@transaction.atomic
def automation_failed(*, row: ItemTask, result: str) -> None:
    """The automation could not do it: the task stays with its team, to be done by hand."""
    ItemTask.objects.filter(pk=row.pk).update(
        automation=AutomationState.FAILED, automation_result=result[:4000]
    )
    tickets.ticket_work_note(
        actor=None,
        record=row.task,
        body=f"The automation failed, so this is to be done by hand.\n\n{result}",
    )


@transaction.atomic
def plan_task_closed(*, task: Task) -> None:
    """A plan task closed (the outbox tells us): start what waited for it, or fulfil."""
    row = plan_task_of(task)
    if row is None:
        return
    item = tickets.locked(row.item)
    _plan_advance(item)


@transaction.atomic
def plan_task_skip(*, actor, task: Task, reason: str) -> Task:
    """Skip a step: its task is cancelled with the reason and the plan goes on."""
    if not (reason or "").strip():
        raise ValidationFailed("Say why it is skipped.", fields={"reason": ["Say why."]})
    if plan_task_of(task) is None:
        raise ValidationFailed(
            "Only a fulfilment plan's step can be skipped.", fields={"task": ["Not a plan step."]}
        )
    return tickets.ticket_transition(
        actor=actor, record=task, action="cancel", reason=f"Skipped: {reason.strip()}"
    )


# --- the item's own moves ---------------------------------------------------------------------
@transaction.atomic
def item_transition(
    *, actor, item: RequestItem, action: str, expected_version=None, reason: str = ""
) -> RequestItem:
    """A person's move on an item: ask the requester, answer, fulfil, reopen, close, cancel."""
    current = tickets.locked(item, expected_version)
    tickets.require_visible(actor, current)
    updated = tickets.ticket_transition_step(
        current, action, actor=actor, now=timezone.now(), reason=reason
    )
    if action == "cancel":
        _cancel_approval(updated, actor=actor, reason=reason)
        for row in ItemTask.objects.filter(item=updated).select_related("task"):
            if row.task.state not in TASK_DONE:
                task = tickets.locked(row.task)
                tickets.ticket_transition_step(
                    task, "cancel", actor=None, now=timezone.now(), reason="The item was cancelled."
                )
    if action == "reopen":
        _plan_advance(updated)
    request_follow_items(updated.request)
    return updated


def _cancel_approval(item: RequestItem, *, actor, reason: str) -> None:
    """A cancelled item asks nobody any more: its pending approval is withdrawn."""
    from opsdesk.approvals.models import ApprovalState
    from opsdesk.approvals.selectors import approvals_for_subject
    from opsdesk.approvals.services import approval_cancel

    for approval in approvals_for_subject(subject=item).filter(state=ApprovalState.PENDING):
        approval_cancel(approval=approval, actor=actor, reason=reason)


@transaction.atomic
def item_add_information(*, actor, item: RequestItem, body: str) -> RequestItem:
    """The requester answers the desk's question: a public comment, and fulfilment goes on."""
    tickets.ticket_comment(actor=actor, record=item, body=body)
    current = tickets.locked(item)
    if current.state == ItemState.INFO_NEEDED:
        current = tickets.ticket_transition_step(current, "answer", actor=actor, now=timezone.now())
        request_follow_items(current.request)
    return current


@transaction.atomic
def request_cancel(*, actor, request: ServiceRequest, reason: str) -> ServiceRequest:
    """Cancel every open item of the request."""
    current = tickets.locked(request)
    tickets.require_visible(actor, current)
    open_items = [i for i in RequestItem.objects.filter(request=current) if i.is_open]
    if not open_items:
        raise ValidationFailed(
            "Nothing in this request can be cancelled any more.",
            fields={"state": ["Every item has ended."]},
        )
    for item in open_items:
        item_transition(actor=actor, item=item, action="cancel", reason=reason)
    current.refresh_from_db()
    return current


@transaction.atomic
def item_record_delivery(*, actor, item: RequestItem, ci) -> RequestItem:
    """What was handed over: the CI now belongs to the person the item is for."""
    from opsdesk.cmdb.services import ci_update

    tickets.require_agent(actor)
    current = tickets.locked(item)
    tickets.require_visible(actor, current)
    person = current.requested_for or current.caller
    attributes = {**(ci.attributes or {}), "assigned_to": person.username}
    # The CMDB records the new owner as the delivery's consequence: the fulfiller may hand a
    # laptop over without being a CMDB editor; the item's audit entry names them.
    ci_update(actor=None, ci=ci, attributes=attributes)
    updated = record_update(
        current, values={"delivered_ci": ci}, actor=actor, action="request_item.delivered"
    )
    tickets.ticket_work_note(
        actor=actor, record=updated, body=f"Delivered {ci.name} to {_person(updated)}."
    )
    return updated


# --- the catalog ------------------------------------------------------------------------------
def _require_catalog_manager(actor) -> None:
    if actor is not None and not may_manage_catalog(actor):
        raise NotPermitted("Only catalog managers may change the catalog.")


@transaction.atomic
def category_save(*, actor, category: CatalogCategory | None = None, **values) -> CatalogCategory:
    _require_catalog_manager(actor)
    if category is None:
        return record_create(CatalogCategory, values=values, actor=actor)
    expected = values.pop("expected_version", None)
    return record_update(category, values=values, actor=actor, expected_version=expected)


@transaction.atomic
def catalog_item_save(*, actor, item: CatalogItem | None = None, **values) -> CatalogItem:
    _require_catalog_manager(actor)
    if values.get("standard") and values.get("privileged"):
        raise ValidationFailed(
            "Privileged access is never a standard request.",
            fields={"standard": ["Privileged items need an approval."]},
        )
    needs = values.get("needs_approval", item.needs_approval if item else False)
    scheme = values.get("approval_scheme", item.approval_scheme if item else None)
    if needs and scheme is None:
        raise ValidationFailed(
            "Say who approves it.",
            fields={"approval_scheme": ["Pick the approval scheme for an item that needs one."]},
        )
    if item is None:
        return record_create(CatalogItem, values=values, actor=actor)
    expected = values.pop("expected_version", None)
    return record_update(item, values=values, actor=actor, expected_version=expected)


@transaction.atomic
def plan_step_save(*, actor, step: PlanStep | None = None, after=(), **values) -> PlanStep:
    _require_catalog_manager(actor)
    after = list(after)
    item = values.get("item") or (step.item if step else None)
    if any(p.item_id != getattr(item, "pk", None) for p in after):
        raise ValidationFailed(
            "A step waits only for steps of the same item.",
            fields={"after": ["Pick steps of this item."]},
        )
    if step is not None and _would_cycle(step, after):
        raise ValidationFailed(
            "That would make the plan wait for itself.",
            fields={"after": ["A step cannot wait for a step that waits for it."]},
        )
    m2m = {"after": [p.pk for p in after]}
    if step is None:
        return record_create(PlanStep, values=values, actor=actor, m2m=m2m)
    return record_update(step, values=values, actor=actor, m2m=m2m)


def _would_cycle(step: PlanStep, after) -> bool:
    seen, stack = set(), [p for p in after]
    while stack:
        current = stack.pop()
        if current.pk == step.pk:
            return True
        if current.pk in seen:
            continue
        seen.add(current.pk)
        stack.extend(current.after.all())
    return False


def catalog_item_counted(*, catalog_item_id) -> None:
    """One more order of a catalog item, for the portal's popular items; the outbox calls it
    after the order commits, so concurrent orders never wait on the item's row."""
    CatalogItem.objects.filter(pk=catalog_item_id).update(order_count=F("order_count") + 1)
