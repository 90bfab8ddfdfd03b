"""Every write to an incident: one transaction each, audited, with its timeline entry, its
outbox event and its clock movement committed together.

Services are keyword-only and take the acting user (``None`` for the system). Major incidents,
parent/child links and merging live in ``major.py``; they build on the helpers here.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from opsdesk.core import context
from opsdesk.core.bulk import BulkReport, bulk_apply
from opsdesk.core.concurrency import lock_for_update
from opsdesk.core.errors import NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.core.models import TimelineKind
from opsdesk.core.outbox import outbox_publish, outbox_publish_many
from opsdesk.core.records import record_update
from opsdesk.core.roles import is_agent
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import ticket_type
from opsdesk.core.timeline import timeline_add
from opsdesk.incidents import clocks, paging, routing
from opsdesk.incidents.models import (
    OPEN_STATES,
    Channel,
    Impact,
    Incident,
    Priority,
    ResolutionCode,
    State,
    Urgency,
)
from opsdesk.incidents.workflow import INCIDENT_WORKFLOW

log = logging.getLogger(__name__)

EDITABLE_FIELDS = frozenset(
    {
        "short_description",
        "description",
        "caller",
        "channel",
        "category",
        "subcategory",
        "service",
        "ci",
        "impact",
        "urgency",
        "confidential",
    }
)


# --- helpers ----------------------------------------------------------------------------------
# The platform's checks and notes, under the names incident code has always used.
require_agent = tickets.require_agent
require_visible = tickets.require_visible
require_open = tickets.require_open
note_change = tickets.ticket_note_change
_check_member = tickets.check_member


def payload(incident: Incident, *, actor, **extra) -> dict:
    return tickets.ticket_payload(incident, actor=actor, **extra)


def priority_name(value) -> str:
    """``P3`` for 3: the short name agents use on the timeline."""
    return f"P{value}" if value else "—"


def _choice_name(choices, value) -> str:
    """``High`` for impact 1: the label without its leading number."""
    if value is None:
        return "—"
    return str(choices(value).label).split(" - ", 1)[-1]


def _shown(value) -> str:
    return "—" if value in (None, "") else str(value)


def _locked(incident: Incident, expected_version) -> Incident:
    return tickets.locked(incident, expected_version)


def _check_parent(actor, parent: Incident) -> None:
    """A new incident may start as a child only of an open, top-level incident the actor sees."""
    require_visible(actor, parent)
    if parent.parent_id is not None:
        raise ValidationFailed(
            f"{parent} is itself a child of another incident.",
            fields={"parent": ["Pick the top-level incident."]},
        )
    if parent.state not in OPEN_STATES:
        raise ValidationFailed(
            f"{parent} is {parent.get_state_display()}.",
            fields={"parent": ["Pick an incident that is still open."]},
        )


def _page_if_needed(
    incident: Incident, *, was_pageable: bool, reason: str, new_incident: bool = False
) -> None:
    if paging.should_page(incident) and not was_pageable:
        paging.page_on_call(incident=incident, reason=reason, new_incident=new_incident)


def _propose_major(incident: Incident, *, locked: bool = False) -> Incident:
    """A P1 is proposed as a major incident; a major incident manager decides."""
    if incident.priority == Priority.P1 and not incident.is_major and not incident.major_proposed:
        incident = record_update(
            incident,
            values={"major_proposed": True},
            actor=None,
            action="incident.major_proposed",
            locked=locked,
        )
        outbox_publish(topic="incident.major_proposed", payload=payload(incident, actor=None))
    return incident


# --- open and update --------------------------------------------------------------------------
@transaction.atomic
def incident_open(
    *,
    actor,
    caller,
    short_description: str,
    description: str = "",
    channel: str = Channel.PORTAL,
    category=None,
    subcategory=None,
    service=None,
    ci=None,
    impact: int = 3,
    urgency: int = 3,
    assignment_group=None,
    assignee=None,
    confidential: bool = False,
    watchers=(),
    parent=None,
) -> Incident:
    """Log an incident: number, priority from the matrix, routing, CMDB impact, clocks, paging."""
    reported_by_requester = actor is not None and not is_agent(actor)
    if reported_by_requester:
        # Requesters report for themselves; routing, confidentiality, the channel and who else
        # may read it are the desk's call.
        if caller is None or caller.pk != actor.pk:
            raise NotPermitted("You may only report incidents for yourself.")
        assignment_group = assignee = parent = None
        confidential = False
        channel = channel if channel in (Channel.PORTAL, Channel.EMAIL) else Channel.PORTAL
        watchers = [actor.pk] if watchers else []
    if parent is not None:
        _check_parent(actor, parent)
    now = timezone.now()
    rule = None
    if assignment_group is None and assignee is None:
        rule = routing.matching_rule(
            category=category,
            subcategory=subcategory,
            service=service,
            ci=ci,
            channel=channel,
            caller=caller,
            short_description=short_description,
            description=description,
        )
        assignment_group = (
            rule.assignment_group if rule else routing.fallback_group(ci=ci, service=service)
        )
    if assignee is not None and assignment_group is None:
        raise ValidationFailed(
            "An assignee needs an assignment group.",
            fields={"assignment_group": ["Pick the group the assignee works in."]},
        )
    auto_assignee = None
    if rule is not None and rule.auto_assign:
        # Chosen by the rule, applied below as the system's own step.
        auto_assignee = routing.auto_assignee(rule=rule)
    _check_member(assignment_group, assignee)
    values = {
        "short_description": short_description,
        "description": description,
        "caller": caller,
        "opened_by": actor,
        "channel": channel,
        "category": category,
        "subcategory": subcategory,
        "service": service,
        "ci": ci,
        "impact": impact,
        "urgency": urgency,
        "priority": routing.priority_for(impact=impact, urgency=urgency)
        if impact in (1, 2, 3) and urgency in (1, 2, 3)
        else Priority.P5,
        "assignment_group": assignment_group,
        "assignee": assignee,
        "confidential": confidential,
        "parent": parent,
        "opened_at": now,
        "first_assigned_at": now if assignee is not None else None,
    }
    m2m = {
        "watchers": [getattr(w, "pk", w) for w in watchers],
        "affected_services": routing.affected_services_for(ci=ci, service=service),
    }
    incident = tickets.ticket_create(
        ticket_type("incident"),
        actor=actor,
        values=values,
        m2m=m2m,
        channel_label=str(Channel(channel).label),
    )
    events = [("incident.opened", payload(incident, actor=actor))]
    if incident.assignment_group_id and auto_assignee is None:
        events.append(("incident.assigned", payload(incident, actor=actor)))
    outbox_publish_many(events)
    # The row was inserted by this transaction, so ``incident`` is its current, locked copy:
    # the steps below change it in place instead of reading it again.
    if assignee is not None:
        incident = _apply_transition(incident, "start", actor=actor, now=now, locked=True)
    if auto_assignee is not None:
        # Automatic assignment and the start of work are the system's steps, whoever reported.
        with context.as_system():
            incident = _assign(
                incident, group=assignment_group, assignee=auto_assignee, actor=None, locked=True
            )
    if reported_by_requester:
        # Nobody is woken, and nothing is proposed as major, on a caller's own say-so: the
        # desk triages first (raising the priority then pages as usual).
        return incident
    _page_if_needed(incident, was_pageable=False, reason="opened", new_incident=True)
    with context.as_system():
        return _propose_major(incident, locked=True)


@transaction.atomic
def incident_update(
    *, actor, incident: Incident, expected_version=None, watchers=None, **fields
) -> Incident:
    """Change the record's descriptive fields; impact and urgency recompute the priority."""
    require_agent(actor)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(
            "These fields change through their own actions.",
            fields={name: ["Use the matching action to change this."] for name in sorted(unknown)},
        )
    current = _locked(incident, expected_version)
    require_visible(actor, current)
    if current.state in INCIDENT_WORKFLOW.final:
        raise TransitionRefused(
            f"{current} is {current.get_state_display()} and can no longer be changed.",
            fields={"state": ["final"]},
        )
    values = dict(fields)
    impact = values.get("impact", current.impact)
    urgency = values.get("urgency", current.urgency)
    if not current.priority_overridden and impact in (1, 2, 3) and urgency in (1, 2, 3):
        values["priority"] = routing.priority_for(impact=impact, urgency=urgency)
    m2m = {}
    if watchers is not None:
        m2m["watchers"] = list(watchers)
    ci = values.get("ci", current.ci)
    service = values.get("service", current.service)
    if "ci" in values or "service" in values:
        m2m["affected_services"] = routing.affected_services_for(ci=ci, service=service)
    old_priority, was_pageable = current.priority, paging.should_page(current)
    changes = _describe_changes(current, values)
    updated = record_update(current, values=values, actor=actor, m2m=m2m)
    now = timezone.now()
    if changes:
        timeline_add(
            record=updated,
            kind=TimelineKind.SYSTEM,
            author=actor,
            body="; ".join(changes) + ".",
            data={"field": "details", "changed": sorted(values)},
            at=now,
        )
    if updated.priority != old_priority:
        note_change(
            updated,
            field="priority",
            old=old_priority,
            new=updated.priority,
            actor=actor,
            at=now,
            body=f"Priority {priority_name(old_priority)} → {priority_name(updated.priority)}.",
        )
        clocks.incident_priority_changed(
            incident=updated, from_priority=old_priority, to_priority=updated.priority, at=now
        )
        outbox_publish(
            topic="incident.priority_changed",
            payload=payload(updated, actor=actor, previous=old_priority),
        )
        _page_if_needed(updated, was_pageable=was_pageable, reason="priority raised")
        _propose_major(updated)
    if updated.version != current.version or m2m:
        outbox_publish(topic="incident.updated", payload=payload(updated, actor=actor))
    return updated


FIELD_LABELS = {
    "short_description": "Short description",
    "description": "Description",
    "caller": "Caller",
    "channel": "Channel",
    "category": "Category",
    "subcategory": "Subcategory",
    "service": "Service",
    "ci": "CI",
    "impact": "Impact",
    "urgency": "Urgency",
    "confidential": "Confidential",
}


def _describe_changes(current: Incident, values: dict) -> list[str]:
    """ "Impact High → Medium" for each field that really changes, in labels, not values."""
    lines = []
    for name in sorted(
        values, key=lambda n: list(FIELD_LABELS).index(n) if n in FIELD_LABELS else 99
    ):
        if name not in FIELD_LABELS:
            continue
        old, new = getattr(current, name), values[name]
        if old == new:
            continue
        label = FIELD_LABELS[name]
        if name in ("impact", "urgency"):
            choices = Impact if name == "impact" else Urgency
            lines.append(f"{label} {_choice_name(choices, old)} → {_choice_name(choices, new)}")
        elif name == "channel":
            lines.append(
                f"{label} {_shown(current.get_channel_display())} → "
                f"{_shown(dict(Channel.choices).get(new, new))}"
            )
        elif name in ("description", "short_description"):
            lines.append(f"{label} changed")
        elif name == "confidential":
            lines.append(f"{label} {'yes' if old else 'no'} → {'yes' if new else 'no'}")
        else:
            lines.append(f"{label} {_shown(old)} → {_shown(new)}")
    return lines


# --- assignment and escalation ----------------------------------------------------------------
@transaction.atomic
def incident_assign(
    *, actor, incident: Incident, assignment_group, assignee=None, expected_version=None
) -> Incident:
    """Route to a group and optionally a person in it; a New incident with a person starts."""
    current = tickets.assignable(
        actor=actor,
        record=incident,
        assignment_group=assignment_group,
        assignee=assignee,
        expected_version=expected_version,
    )
    return _assign(current, group=assignment_group, assignee=assignee, actor=actor)


def _assign(
    current: Incident, *, group, assignee, actor, escalation: bool = False, locked: bool = False
) -> Incident:
    """The platform's assignment step, then what only incidents do: page the new group's
    on-call when it needs waking, and start work once a person has it."""
    if current.assignment_group_id == group.pk and current.assignee_id == getattr(
        assignee, "pk", None
    ):
        return current  # already there: no version bump, no noise
    updated, group_changed = tickets.ticket_assign_step(
        current,
        group=group,
        assignee=assignee,
        actor=actor,
        escalation=escalation,
        # The tier the incident has reached: incidents count their escalations.
        also={"escalation_level": current.escalation_level + 1} if escalation else None,
        is_locked=locked,
    )
    if group_changed and paging.should_page(updated):
        paging.page_on_call(incident=updated, reason="assigned")
    if assignee is not None and updated.state == State.NEW:
        updated = _apply_transition(updated, "start", actor=actor, now=timezone.now(), locked=True)
    return updated


@transaction.atomic
def incident_escalate(
    *, actor, incident: Incident, reason: str = "", expected_version=None
) -> Incident:
    """Functional escalation: hand the incident to its group's escalation team (next tier)."""
    require_agent(actor)
    current = _locked(incident, expected_version)
    require_visible(actor, current)
    require_open(current, "escalate")
    group = current.assignment_group
    if group is None or group.escalation_team_id is None:
        raise TransitionRefused(
            f"{group or 'This incident'} has no escalation team to hand over to.",
            fields={"assignment_group": ["No escalation team is configured for this group."]},
        )
    updated = _assign(
        current, group=group.escalation_team, assignee=None, actor=actor, escalation=True
    )
    if reason:
        timeline_add(
            record=updated, kind=TimelineKind.WORK_NOTE, author=actor, body=f"Escalated: {reason}"
        )
    return updated


@transaction.atomic
def incident_override_priority(
    *, actor, incident: Incident, priority: int, reason: str, expected_version=None
) -> Incident:
    """Set the priority by hand, away from the matrix; the reason goes to the audit trail."""
    require_agent(actor)
    if priority not in Priority.values:
        raise ValidationFailed("Pick P1 to P5.", fields={"priority": ["Pick P1 to P5."]})
    if not (reason or "").strip():
        raise ValidationFailed("Give a reason.", fields={"reason": ["Say why."]})
    current = _locked(incident, expected_version)
    require_visible(actor, current)
    require_open(current, "reprioritise")
    old, was_pageable = current.priority, paging.should_page(current)
    updated = record_update(
        current,
        values={
            "priority": priority,
            "priority_overridden": True,
            "priority_override_reason": reason.strip(),
        },
        actor=actor,
        action="incident.priority_overridden",
    )
    now = timezone.now()
    if old != priority:
        note_change(
            updated,
            field="priority",
            old=old,
            new=priority,
            actor=actor,
            at=now,
            body=f"Priority {priority_name(old)} → {priority_name(priority)}: {reason.strip()}",
        )
        clocks.incident_priority_changed(
            incident=updated, from_priority=old, to_priority=priority, at=now
        )
        outbox_publish(
            topic="incident.priority_changed", payload=payload(updated, actor=actor, previous=old)
        )
        _page_if_needed(updated, was_pageable=was_pageable, reason="priority raised")
        _propose_major(updated)
    return updated


# --- the lifecycle ----------------------------------------------------------------------------
def resolve_children_enabled() -> bool:
    return bool(getattr(settings, "OPSDESK_INCIDENT_RESOLVE_CHILDREN", True))


@transaction.atomic
def incident_transition(
    *,
    actor,
    incident: Incident,
    action: str,
    expected_version=None,
    reason: str = "",
    hold_reason: str = "",
    resolution_code: ResolutionCode | None = None,
    resolution_notes: str = "",
    now=None,
) -> Incident:
    """Move the incident along its workflow: start, hold, resume, resolve, reopen, close, cancel."""
    current = _locked(incident, expected_version)
    require_visible(actor, current)
    return _apply_transition(
        current,
        action,
        actor=actor,
        now=now or timezone.now(),
        reason=reason,
        hold_reason=hold_reason,
        resolution_code=resolution_code,
        resolution_notes=resolution_notes,
    )


def _stop_paging(incident: Incident, *, actor, now, **_) -> None:
    paging.pages_stop(incident=incident, at=now)


def _resolve_children_step(incident: Incident, *, actor, now, **_) -> None:
    if resolve_children_enabled():
        _resolve_children(incident, actor=actor, now=now)


# What only an incident does after a move, beside the platform's step (the workflow's
# effects say what the move itself sets): nobody is paged for a finished incident, and a
# parent's fix resolves its children.
AFTER_MOVE = {
    "resolve": (_stop_paging, _resolve_children_step),
    "cancel": (_stop_paging,),
    "close": (_stop_paging,),
}


def _apply_transition(
    current: Incident, action: str, *, actor, now, locked: bool = False, **kwargs
) -> Incident:
    updated = tickets.ticket_transition_step(
        current, action, actor=actor, now=now, is_locked=locked, **kwargs
    )
    for step in AFTER_MOVE.get(action, ()):
        step(updated, actor=actor, now=now, **kwargs)
    return updated


def _resolve_children(parent: Incident, *, actor, now) -> None:
    """Many callers, one outage: the parent's fix resolves its open children."""
    for child in parent.children.filter(state__in=OPEN_STATES).order_by("pk"):
        child = lock_for_update(Incident, child.pk)
        if child.state == State.ON_HOLD:
            child = _apply_transition(child, "resume", actor=actor, now=now)
        _apply_transition(
            child,
            "resolve",
            actor=actor,
            now=now,
            resolution_code=parent.resolution_code,
            resolution_notes=f"Resolved with {parent.number}: {parent.resolution_notes}",
        )


def incident_confirm_resolution(*, actor, incident: Incident) -> Incident:
    """The caller agrees the incident is fixed: it closes now instead of after N days."""
    return incident_transition(actor=actor, incident=incident, action="close")


def incident_reject_resolution(*, actor, incident: Incident, reason: str) -> Incident:
    """The caller says it is not fixed: the incident reopens."""
    return incident_transition(actor=actor, incident=incident, action="reopen", reason=reason)


# --- conversation -----------------------------------------------------------------------------
def incident_comment(*, actor, incident: Incident, body: str, internal: bool = False):
    """A public comment (the caller sees it) or an internal work note (agents only).

    The first public comment by an agent is the first response.
    """
    return tickets.ticket_comment(actor=actor, record=incident, body=body, internal=internal)


@transaction.atomic
def incident_acknowledge(*, actor, incident: Incident) -> Incident:
    """Someone has it: stops paging escalation and counts as the first response."""
    updated = tickets.ticket_acknowledge(actor=actor, record=incident)
    if updated.acknowledged_now:
        paging.pages_acknowledge(incident=updated, actor=actor, at=updated.acknowledged_at)
    return updated


def incident_watch(*, actor, incident: Incident, user=None, watching: bool = True) -> Incident:
    """Add or remove a watcher (agents for anyone, everyone else only for themselves)."""
    return tickets.ticket_watch(actor=actor, record=incident, user=user, watching=watching)


def incident_bulk_update(
    *, actor, incident_ids, assignment_group=None, assignee=None, action: str = "", **kwargs
) -> BulkReport:
    """Apply one change to many incidents, each incident all or nothing.

    The report names the incidents that changed and, by number, why the others did not: an
    incident whose transition is refused keeps its old assignee too.
    """
    require_agent(actor)
    from opsdesk.incidents.selectors import incident_list

    def change(incident):
        was = incident.state
        if assignment_group is not None or assignee is not None:
            group = assignment_group or incident.assignment_group
            incident = incident_assign(
                actor=actor, incident=incident, assignment_group=group, assignee=assignee
            )
        # Naming an assignee starts work on a new incident already; "start" asked for the same.
        started = action == "start" and was == State.NEW and incident.state == State.IN_PROGRESS
        if action and not started:
            incident_transition(actor=actor, incident=incident, action=action, **kwargs)

    incidents = incident_list(viewer=actor).filter(pk__in=list(incident_ids)).order_by("number")
    return bulk_apply(incidents, change)
