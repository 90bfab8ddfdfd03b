"""The writes every ticket shares, for any registered record type.

Each runs in the caller's transaction (or its own), locks the ticket, checks who may do it,
and writes the change, its audit entry, its timeline entry, its history row, its clock
movement and its outbox fact together. Every fact names its actor (``actor_id``; None for
the system). A record type's own steps (paging an incident's on-call, for one) come after
these, in its own services.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from opsdesk.core.attachments import attachment_add
from opsdesk.core.concurrency import lock_for_update, version_check
from opsdesk.core.errors import NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.core.models import TimelineKind
from opsdesk.core.models.tickets import HistoryChange
from opsdesk.core.numbering import number_next
from opsdesk.core.outbox import outbox_publish, outbox_publish_many
from opsdesk.core.records import record_create, record_update
from opsdesk.core.roles import is_agent
from opsdesk.core.tickets.history import history_add
from opsdesk.core.tickets.registry import TicketType, ticket_type_of
from opsdesk.core.timeline import timeline_add

MAX_COMMENT_LENGTH = 20_000
# Fields whose change is a history row (state changes go through ``ticket_transition``).
TRACKED = {
    "state": HistoryChange.STATE,
    "assignment_group": HistoryChange.ASSIGNMENT_GROUP,
    "assignee": HistoryChange.ASSIGNEE,
    "priority": HistoryChange.PRIORITY,
}


# --- checks -----------------------------------------------------------------------------------
def require_agent(actor) -> None:
    if actor is not None and not is_agent(actor):
        raise NotPermitted("Only service-desk staff may do this.")


def require_visible(actor, record) -> None:
    if actor is not None and not ticket_type_of(record).visible_to(record, actor):
        raise NotPermitted(f"You may not see this {ticket_type_of(record).label.lower()}.")


def require_open(record, doing: str) -> None:
    tt = ticket_type_of(record)
    if record.state not in tt.open_states:
        raise TransitionRefused(
            f"Cannot {doing} a {tt.label.lower()} that is {record.get_state_display()}.",
            fields={"state": [f"{doing} needs an open {tt.label.lower()}"]},
        )


def locked(record, expected_version=None):
    """This transaction's locked, current copy of ``record``, refused if it is stale."""
    current = lock_for_update(type(record), record.pk)
    version_check(current, expected_version)
    return current


# --- facts and notes --------------------------------------------------------------------------
def ticket_payload(record, *, actor, **extra) -> dict:
    """The outbox payload of a ticket fact: what recipients need, with who did it."""
    tt = ticket_type_of(record)
    return {
        f"{tt.key}_id": record.pk,
        "record_type": tt.key,
        "record_id": record.pk,
        "number": record.number,
        "priority": record.priority,
        "state": record.state,
        "assignment_group_id": record.assignment_group_id,
        "assignee_id": record.assignee_id,
        "caller_id": record.caller_id,
        "actor_id": getattr(actor, "pk", None),
        **extra,
    }


def ticket_publish(record, suffix: str, *, actor, **extra):
    """Publish ``<type>.<suffix>`` about ``record`` into the outbox."""
    tt = ticket_type_of(record)
    return outbox_publish(
        topic=tt.topic(suffix), payload=ticket_payload(record, actor=actor, **extra)
    )


def ticket_note_change(record, *, field: str, old, new, actor, at, body: str = "") -> None:
    """A field change on the timeline (state changes public, the rest for agents) and, for the
    fields metrics follow, its history row."""
    kind = TimelineKind.STATE_CHANGE if field == "state" else TimelineKind.SYSTEM
    timeline_add(
        record=record,
        kind=kind,
        author=actor,
        body=body,
        data={"field": field, "from": old, "to": new},
        at=at,
    )
    if field in TRACKED:
        history_add(
            record_type=ticket_type_of(record).key,
            record=record,
            change=TRACKED[field],
            actor=actor,
            at=at,
            old=old,
            new=new,
        )


def ticket_milestone(record, change: str, *, actor, at) -> None:
    history_add(
        record_type=ticket_type_of(record).key, record=record, change=change, actor=actor, at=at
    )


# --- open -------------------------------------------------------------------------------------
def ticket_create(tt: TicketType, *, actor, values: dict, m2m=None, channel_label: str = ""):
    """Number and insert a ticket, with its "Opened" timeline entry, history row and clocks.

    Call it inside the creating transaction; the record type's own service decides the
    values (routing, priority) and publishes its ``opened`` fact once its own steps are done.
    """
    now = values.setdefault("opened_at", timezone.now())
    values.setdefault("state", tt.workflow.initial)
    values["number"] = number_next(prefix=tt.prefix)
    if values.get("assignee") is not None and "first_assigned_at" not in values:
        values["first_assigned_at"] = now
    record: Any = record_create(
        tt.model,
        values=values,
        actor=actor,
        action=tt.topic("opened"),
        m2m=m2m,
        unique_known=("number",),
    )
    via = f" via {channel_label}" if channel_label else ""
    timeline_add(
        record=record,
        kind=TimelineKind.SYSTEM,
        author=actor,
        body=f"Opened by {actor or 'the system'}{via}.",
        data={"field": "state", "from": None, "to": record.state},
        at=now,
    )
    history_add(
        record_type=tt.key,
        record=record,
        change=HistoryChange.OPENED,
        actor=actor,
        at=now,
        new=record.state,
    )
    tt.clocks.opened(record, at=now)
    return record


# --- assignment -------------------------------------------------------------------------------
def check_member(group, assignee) -> None:
    if (
        assignee is not None
        and group is not None
        and not group.members.filter(pk=assignee.pk).exists()
    ):
        raise ValidationFailed(
            f"{assignee} is not a member of {group}.",
            fields={"assignee": [f"Pick a member of {group}."]},
        )


def _shown(value) -> str:
    return "—" if value in (None, "") else str(value)


def ticket_assign_step(
    current,
    *,
    group,
    assignee,
    actor,
    escalation: bool = False,
    also: dict | None = None,
    is_locked: bool = True,
):
    """Route the locked ticket ``current`` to ``group`` and ``assignee`` (None: the group's
    queue); ``escalation`` names it an escalation, ``also`` sets the record type's own fields
    with it. Returns ``(ticket, group_changed)``; nothing is written when nothing changes."""
    tt = ticket_type_of(current)
    now = timezone.now()
    old_group, old_assignee = current.assignment_group_id, current.assignee_id
    new_assignee = getattr(assignee, "pk", None)
    if old_group == group.pk and old_assignee == new_assignee:
        return current, False
    # Named before the update, which may change ``current`` in place.
    was_group, was_assignee = _shown(current.assignment_group), _shown(current.assignee)
    values = {"assignment_group": group, "assignee": assignee, **(also or {})}
    if assignee is not None and current.first_assigned_at is None:
        values["first_assigned_at"] = now
    suffix = "escalated" if escalation else "assigned"
    updated = record_update(
        current, values=values, actor=actor, action=tt.topic(suffix), locked=is_locked
    )
    if old_group != group.pk:
        ticket_note_change(
            updated,
            field="assignment_group",
            old=old_group,
            new=group.pk,
            actor=actor,
            at=now,
            body=f"Assigned to {group} (was {was_group}).",
        )
        tt.clocks.group_changed(updated, from_group_id=old_group, to_group_id=group.pk, at=now)
    if old_assignee != new_assignee:
        ticket_note_change(
            updated,
            field="assignee",
            old=old_assignee,
            new=new_assignee,
            actor=actor,
            at=now,
            body=f"Assignee {was_assignee} → {_shown(assignee)}.",
        )
    ticket_publish(updated, suffix, actor=actor, previous_group_id=old_group)
    return updated, old_group != group.pk


def assignable(*, actor, record, assignment_group, assignee=None, expected_version=None):
    """The locked, current ticket, once the actor may route it to this group and person: an
    agent who sees it, an open ticket, a group, and an assignee who is in that group."""
    require_agent(actor)
    current = locked(record, expected_version)
    require_visible(actor, current)
    require_open(current, "assign")
    if assignment_group is None:
        raise ValidationFailed(
            "Assignment needs a group.", fields={"assignment_group": ["Pick a group."]}
        )
    check_member(assignment_group, assignee)
    return current


@transaction.atomic
def ticket_assign(*, actor, record, assignment_group, assignee=None, expected_version=None):
    """Route any ticket to a group and optionally a person in it."""
    current = assignable(
        actor=actor,
        record=record,
        assignment_group=assignment_group,
        assignee=assignee,
        expected_version=expected_version,
    )
    updated, _ = ticket_assign_step(current, group=assignment_group, assignee=assignee, actor=actor)
    return updated


# --- watching and conversation ----------------------------------------------------------------
@transaction.atomic
def ticket_watch(*, actor, record, user=None, watching: bool = True):
    """Add or remove a watcher (agents for anyone, everyone else only for themselves)."""
    user = user or actor
    if actor is not None and user.pk != actor.pk:
        require_agent(actor)
    current = lock_for_update(type(record), record.pk)
    require_visible(actor, current)
    ids = set(current.watchers.values_list("pk", flat=True))
    ids = ids | {user.pk} if watching else ids - {user.pk}
    return record_update(
        current,
        values={},
        actor=actor,
        m2m={"watchers": sorted(ids)},
        action=ticket_type_of(current).topic("watchers_changed"),
    )


def first_response(current, *, actor, at) -> None:
    """Record the first reply to the caller: the timestamp, its history row and its clock."""
    tt = ticket_type_of(current)
    record_update(
        current,
        values={"first_response_at": at},
        actor=actor,
        action=tt.topic("first_response"),
        locked=True,
    )
    ticket_milestone(current, HistoryChange.FIRST_PUBLIC_REPLY, actor=actor, at=at)
    tt.clocks.responded(current, at=at)


def _checked_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationFailed("Write something first.", fields={"body": ["This is empty."]})
    if len(body) > MAX_COMMENT_LENGTH:
        raise ValidationFailed(
            "That is too long.", fields={"body": [f"At most {MAX_COMMENT_LENGTH} characters."]}
        )
    return body


@transaction.atomic
def ticket_comment(*, actor, record, body: str, internal: bool = False):
    """A public comment (the caller sees it) or an internal work note (agents only).

    The first public comment by an agent is the first response.
    """
    body = _checked_body(body)
    if internal:
        require_agent(actor)
    current = lock_for_update(type(record), record.pk)
    require_visible(actor, current)
    now = timezone.now()
    entry = timeline_add(
        record=current,
        kind=TimelineKind.WORK_NOTE if internal else TimelineKind.COMMENT,
        author=actor,
        body=body,
        at=now,
    )
    if not internal and is_agent(actor) and current.first_response_at is None:
        first_response(current, actor=actor, at=now)
    ticket_publish(
        current,
        "commented",
        actor=actor,
        entry_id=entry.pk,
        public=not internal,
        author_id=getattr(actor, "pk", None),
    )
    return entry


def ticket_work_note(*, actor, record, body: str):
    """An internal note: agents only, never shown to the caller."""
    return ticket_comment(actor=actor, record=record, body=body, internal=True)


@transaction.atomic
def ticket_acknowledge(*, actor, record):
    """Someone has it: counts as the first response. Acknowledging twice changes nothing;
    the returned ticket's ``acknowledged_now`` says whether this call did it."""
    require_agent(actor)
    current = lock_for_update(type(record), record.pk)
    require_visible(actor, current)
    require_open(current, "acknowledge")
    if current.acknowledged_at is not None:
        current.acknowledged_now = False
        return current
    tt = ticket_type_of(current)
    now = timezone.now()
    values = {"acknowledged_at": now}
    if current.first_response_at is None:
        values["first_response_at"] = now
    updated = record_update(
        current, values=values, actor=actor, action=tt.topic("acknowledged"), locked=True
    )
    timeline_add(
        record=updated,
        kind=TimelineKind.SYSTEM,
        author=actor,
        body=f"Acknowledged by {actor or 'the system'}.",
        at=now,
    )
    ticket_milestone(updated, HistoryChange.ACKNOWLEDGED, actor=actor, at=now)
    tt.clocks.responded(updated, at=now)
    ticket_publish(updated, "acknowledged", actor=actor, by_id=getattr(actor, "pk", None))
    updated.acknowledged_now = True
    return updated


def ticket_attach(*, actor, record, upload, internal: bool = False):
    """Attach a file to any ticket the actor may see (size and type checks in core)."""
    require_visible(actor, record)
    return attachment_add(actor=actor, record=record, upload=upload, internal=internal)


# --- the one transition step ------------------------------------------------------------------
def ticket_transition_step(current, action: str, *, actor, now, is_locked: bool = True, **kwargs):
    """Move the locked ticket ``current`` along its workflow, in one step.

    The workflow checks the move and its guards; the move's ``Effect`` (declared beside the
    workflow table) gives the other fields it sets, its milestone, its clock moment, its fact
    and its timeline text. Written together: the update and its audit entry, the state's
    history row (and the milestone's), the timeline entry, the clocks, and the facts
    ``<type>.state_changed`` and ``<type>.<topic>``, each with the actor.
    """
    tt = ticket_type_of(current)
    workflow = tt.workflow
    transition = workflow.check(current, action, actor=actor, now=now, **kwargs)
    effect = workflow.effect(action)
    old_state = current.state
    values = {"state": transition.target, **effect.values(current, now=now, **kwargs)}
    body = (effect.body(current, values=values, **kwargs) if effect.body else "") or ""
    body = body or (kwargs.get("reason") or "").strip()
    # A move that carries a message to the caller is a reply: it counts as the first
    # response even when the clocks pause in the same step.
    responded = bool(
        effect.replies
        and (kwargs.get("reason") or "").strip()
        and is_agent(actor)
        and current.first_response_at is None
    )
    if responded:
        values["first_response_at"] = now
    updated = record_update(
        current, values=values, actor=actor, action=tt.topic(action), locked=is_locked
    )
    ticket_note_change(
        updated, field="state", old=old_state, new=updated.state, actor=actor, at=now, body=body
    )
    if responded:
        ticket_milestone(updated, HistoryChange.FIRST_PUBLIC_REPLY, actor=actor, at=now)
    if effect.milestone:
        ticket_milestone(updated, effect.milestone, actor=actor, at=now)
    if effect.clock:
        tt.clocks.moment(updated, effect.clock, at=now)
    else:
        tt.clocks.state_changed(
            updated, from_state=old_state, to_state=updated.state, at=now, responded=responded
        )
    # Both facts in one insert, in this order.
    outbox_publish_many(
        [
            (
                tt.topic("state_changed"),
                ticket_payload(
                    updated,
                    actor=actor,
                    action=action,
                    from_state=old_state,
                    to_state=updated.state,
                ),
            ),
            (tt.topic(effect.topic or action), ticket_payload(updated, actor=actor)),
        ]
    )
    return updated


@transaction.atomic
def ticket_transition(*, actor, record, action: str, expected_version=None, now=None, **kwargs):
    """Any ticket's move (start, hold, resolve ...) as the actor, with its guards."""
    current = locked(record, expected_version)
    require_visible(actor, current)
    return ticket_transition_step(current, action, actor=actor, now=now or timezone.now(), **kwargs)
