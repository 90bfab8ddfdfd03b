"""Major incidents, parent/child links and merging duplicates.

A major incident has a manager, a communications cadence and stakeholder updates; ending it
records the outage window and opens a post-incident review for problem management.
"""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from opsdesk.core.concurrency import lock_for_update, version_check
from opsdesk.core.errors import NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.core.models import TimelineEntry, TimelineKind
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.records import record_create, record_update
from opsdesk.core.roles import Role, has_role
from opsdesk.core.timeline import timeline_add
from opsdesk.incidents import paging
from opsdesk.incidents.models import (
    OPEN_STATES,
    Incident,
    PostIncidentReview,
    ResolutionCode,
    State,
)
from opsdesk.incidents.services import (
    _apply_transition,
    payload,
    require_agent,
    require_open,
    require_visible,
)

DEFAULT_CADENCE_MINUTES = 30


def is_major_incident_manager(user) -> bool:
    return has_role(user, Role.MAJOR_INCIDENT_MANAGER, Role.ADMINISTRATOR)


def _require_mim(actor) -> None:
    if actor is not None and not is_major_incident_manager(actor):
        raise NotPermitted("Only a major incident manager may do this.")


def _affected_ids(incident: Incident) -> list[int]:
    return sorted(incident.affected_services.values_list("pk", flat=True))


@transaction.atomic
def incident_declare_major(
    *,
    actor,
    incident: Incident,
    manager=None,
    cadence_minutes: int = DEFAULT_CADENCE_MINUTES,
    summary: str = "",
    expected_version=None,
) -> Incident:
    """Promote an open incident to a major incident, run by ``manager`` (default: the actor)."""
    _require_mim(actor)
    current = lock_for_update(Incident, incident.pk)
    require_visible(actor, current)
    version_check(current, expected_version)
    require_open(current, "declare a major incident on")
    if current.is_major:
        raise TransitionRefused(
            f"{current} is already a major incident.", fields={"is_major": ["already major"]}
        )
    if not 5 <= int(cadence_minutes) <= 24 * 60:
        raise ValidationFailed(
            "Updates are due every 5 minutes to 24 hours.",
            fields={"cadence_minutes": ["Between 5 and 1440 minutes."]},
        )
    manager = manager or actor
    if manager is not None and not is_major_incident_manager(manager):
        raise ValidationFailed(
            f"{manager} is not a major incident manager.",
            fields={"manager": ["Pick a major incident manager."]},
        )
    now = timezone.now()
    updated = record_update(
        current,
        values={
            "is_major": True,
            "major_proposed": False,
            "major_incident_manager": manager,
            "major_declared_at": now,
            "update_cadence_minutes": int(cadence_minutes),
            "next_update_due": now + timedelta(minutes=int(cadence_minutes)),
            "major_summary": summary.strip() or current.short_description,
        },
        actor=actor,
        action="incident.major_declared",
    )
    timeline_add(
        record=updated,
        kind=TimelineKind.SYSTEM,
        author=actor,
        at=now,
        body=f"Declared a major incident, managed by {manager}.",
        data={"field": "is_major", "from": False, "to": True},
    )
    outbox_publish(
        topic="incident.major_declared",
        payload=payload(
            updated,
            actor=actor,
            manager_id=getattr(manager, "pk", None),
            affected_service_ids=_affected_ids(updated),
        ),
    )
    paging.page_on_call(incident=updated, reason="major incident declared")
    return updated


@transaction.atomic
def incident_stakeholder_update(
    *, actor, incident: Incident, body: str, summary: str = "", now=None
) -> Incident:
    """Post an update to stakeholders: on the timeline, and out to subscribers and users."""
    require_agent(actor)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed("Write the update first.", fields={"body": ["This is empty."]})
    current = lock_for_update(Incident, incident.pk)
    require_visible(actor, current)
    if not current.is_major or current.major_ended_at is not None:
        raise TransitionRefused(
            "Stakeholder updates are for running major incidents.",
            fields={"is_major": ["not a running major incident"]},
        )
    now = now or timezone.now()
    values = {"next_update_due": now + timedelta(minutes=current.update_cadence_minutes or 30)}
    if summary.strip():
        values["major_summary"] = summary.strip()
    updated = record_update(
        current, values=values, actor=actor, action="incident.stakeholder_update"
    )
    entry = timeline_add(
        record=updated,
        kind=TimelineKind.COMMENT,
        author=actor,
        body=body,
        at=now,
        data={"stakeholder_update": True},
    )
    outbox_publish(
        topic="incident.stakeholder_update",
        payload=payload(
            updated,
            actor=actor,
            entry_id=entry.pk,
            body=body,
            affected_service_ids=_affected_ids(updated),
            watcher_ids=sorted(updated.watchers.values_list("pk", flat=True)),
            next_update_due=updated.next_update_due,
        ),
    )
    return updated


def incident_major_updates_due(*, now) -> int:
    """Remind each major incident manager whose stakeholder update is overdue, once per update."""
    reminded = 0
    due = Incident.objects.filter(
        is_major=True,
        major_ended_at__isnull=True,
        state__in=OPEN_STATES,
        next_update_due__lte=now,
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            current = lock_for_update(Incident, pk)
            if current.update_reminded_for == current.next_update_due:
                continue
            Incident.objects.filter(pk=pk).update(update_reminded_for=current.next_update_due)
            outbox_publish(
                topic="incident.stakeholder_update_due",
                payload=payload(
                    current,
                    actor=None,
                    manager_id=current.major_incident_manager_id,
                    due=current.next_update_due,
                ),
            )
            reminded += 1
    return reminded


@transaction.atomic
def incident_end_major(
    *, actor, incident: Incident, outage_start, outage_end, summary: str = "", impact: str = ""
) -> PostIncidentReview:
    """End the major incident: record the outage window and open the post-incident review."""
    _require_mim(actor)
    current = lock_for_update(Incident, incident.pk)
    require_visible(actor, current)
    if not current.is_major or current.major_ended_at is not None:
        raise TransitionRefused(
            f"{current} is not a running major incident.",
            fields={"is_major": ["not a running major incident"]},
        )
    now = timezone.now()
    problems = {}
    if outage_start is None:
        problems["outage_start"] = ["When did the outage start?"]
    if outage_end is None:
        problems["outage_end"] = ["When did service come back?"]
    if not problems and outage_end < outage_start:
        problems["outage_end"] = ["The outage cannot end before it starts."]
    if not problems and outage_end > now + timedelta(minutes=5):
        problems["outage_end"] = ["The outage cannot end in the future."]
    if problems:
        raise ValidationFailed("Give the outage window.", fields=problems)
    updated = record_update(
        current,
        values={
            "major_ended_at": now,
            "outage_start": outage_start,
            "outage_end": outage_end,
            "next_update_due": None,
        },
        actor=actor,
        action="incident.major_ended",
    )
    review = record_create(
        PostIncidentReview,
        values={
            "incident": updated,
            "summary": summary.strip() or updated.major_summary,
            "impact": impact.strip(),
            "timeline": _timeline_digest(updated),
            "outage_start": outage_start,
            "outage_end": outage_end,
        },
        actor=actor,
    )
    timeline_add(
        record=updated,
        kind=TimelineKind.SYSTEM,
        author=actor,
        at=now,
        body=f"Major incident ended; outage {outage_start:%Y-%m-%d %H:%M} to "
        f"{outage_end:%Y-%m-%d %H:%M} UTC.",
        data={"field": "major_ended_at", "from": None, "to": now.isoformat()},
    )
    outbox_publish(
        topic="incident.major_ended",
        payload=payload(
            updated,
            actor=actor,
            review_id=review.pk,
            outage_start=outage_start,
            outage_end=outage_end,
            affected_service_ids=_affected_ids(updated),
        ),
    )
    return review


def _timeline_digest(incident: Incident) -> str:
    """The public history as lines, a starting point for the review's timeline."""
    entries = TimelineEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=str(incident.pk),
        kind__in=[TimelineKind.COMMENT, TimelineKind.STATE_CHANGE],
    ).order_by("created_at", "id")[:200]
    lines = []
    for e in entries:
        text = e.body or f"{e.data.get('from')} -> {e.data.get('to')}"
        lines.append(f"{e.created_at:%Y-%m-%d %H:%M} {text.splitlines()[0][:200]}")
    return "\n".join(lines)


# --- parent / child ---------------------------------------------------------------------------
@transaction.atomic
def incident_attach_child(*, actor, parent: Incident, child: Incident) -> Incident:
    """One outage, many callers: ``child`` follows ``parent`` and is resolved with it."""
    require_agent(actor)
    parent = lock_for_update(Incident, parent.pk)
    child = lock_for_update(Incident, child.pk)
    require_visible(actor, parent)
    require_visible(actor, child)
    problems = {}
    if parent.pk == child.pk:
        problems["child"] = ["An incident cannot be its own child."]
    elif parent.parent_id is not None:
        problems["parent"] = [f"{parent} is itself a child of another incident."]
    elif child.children.exists():
        problems["child"] = [f"{child} has children of its own."]
    elif child.parent_id == parent.pk:
        return child
    if problems:
        raise ValidationFailed("These incidents cannot be linked that way.", fields=problems)
    require_open(parent, "attach children to")
    require_open(child, "attach")
    updated = record_update(
        child, values={"parent": parent}, actor=actor, action="incident.child_attached"
    )
    timeline_add(
        record=updated,
        kind=TimelineKind.SYSTEM,
        author=actor,
        body=f"Attached to parent {parent.number}.",
        data={"field": "parent", "from": None, "to": parent.pk},
    )
    timeline_add(
        record=parent,
        kind=TimelineKind.SYSTEM,
        author=actor,
        body=f"{child.number} attached as a child.",
    )
    outbox_publish(
        topic="incident.child_attached", payload=payload(updated, actor=actor, parent_id=parent.pk)
    )
    return updated


@transaction.atomic
def incident_detach_child(*, actor, child: Incident) -> Incident:
    require_agent(actor)
    child = lock_for_update(Incident, child.pk)
    require_visible(actor, child)
    if child.parent_id is None:
        return child
    old = child.parent_id
    updated = record_update(
        child, values={"parent": None}, actor=actor, action="incident.child_detached"
    )
    timeline_add(
        record=updated,
        kind=TimelineKind.SYSTEM,
        author=actor,
        body="Detached from parent.",
        data={"field": "parent", "from": old, "to": None},
    )
    return updated


@transaction.atomic
def incident_merge(*, actor, duplicate: Incident, into: Incident) -> Incident:
    """Close ``duplicate`` as a duplicate of ``into``; its comments and watchers move over."""
    require_agent(actor)
    duplicate = lock_for_update(Incident, duplicate.pk)
    into = lock_for_update(Incident, into.pk)
    require_visible(actor, duplicate)
    require_visible(actor, into)
    if duplicate.pk == into.pk:
        raise ValidationFailed(
            "Pick another incident.", fields={"into": ["An incident cannot duplicate itself."]}
        )
    if into.parent_id == duplicate.pk:
        raise ValidationFailed(
            f"{into} is a child of {duplicate}.",
            fields={"into": ["Merge the child into its parent, not the parent into its child."]},
        )
    require_open(duplicate, "merge")
    if into.state in (State.CLOSED, State.CANCELLED):
        raise ValidationFailed(
            f"{into} is {into.get_state_display()}.",
            fields={"into": ["Merge into an incident that is not closed."]},
        )
    code = ResolutionCode.objects.filter(key="duplicate").first()
    if code is None:
        raise ValidationFailed(
            "The 'duplicate' resolution code is missing.",
            fields={"__all__": ["Ask an administrator to add it."]},
        )
    now = timezone.now()
    incident_type = ContentType.objects.get_for_model(Incident)
    moved = TimelineEntry.objects.filter(
        content_type=incident_type,
        object_id=str(duplicate.pk),
        kind__in=[TimelineKind.COMMENT, TimelineKind.WORK_NOTE],
    ).update(object_id=str(into.pk))
    watchers = set(into.watchers.values_list("pk", flat=True))
    watchers |= set(duplicate.watchers.values_list("pk", flat=True))
    watchers |= {duplicate.caller_id} - {into.caller_id}
    into = record_update(
        into,
        values={},
        actor=actor,
        m2m={"watchers": sorted(watchers)},
        action="incident.merged_into",
    )
    timeline_add(
        record=into,
        kind=TimelineKind.SYSTEM,
        author=actor,
        at=now,
        body=f"{duplicate.number} merged in ({moved} comments and notes moved).",
    )
    duplicate = record_update(
        duplicate, values={"duplicate_of": into}, actor=actor, action="incident.merged"
    )
    if duplicate.state == State.ON_HOLD:
        duplicate = _apply_transition(duplicate, "resume", actor=actor, now=now)
    duplicate = _apply_transition(
        duplicate,
        "resolve",
        actor=actor,
        now=now,
        resolution_code=code,
        resolution_notes=f"Duplicate of {into.number}.",
    )
    duplicate = _apply_transition(duplicate, "close", actor=actor, now=now)
    outbox_publish(
        topic="incident.merged",
        payload=payload(duplicate, actor=actor, into_id=into.pk, into_number=into.number),
    )
    return duplicate
