"""Every write of problem management: raising, linking incidents, analysis, moves.

Problems are the desk's own records: agents and problem managers write them. Linking an
incident records who linked it and why on both records and keeps the problem's impact tally.
"""

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from opsdesk.core.audit import audit_record
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import TimelineKind
from opsdesk.core.outbox import outbox_publish, outbox_publish_many
from opsdesk.core.records import record_update
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import ticket_type
from opsdesk.core.timeline import timeline_add
from opsdesk.incidents.models import OPEN_STATES, Incident, PostIncidentReview
from opsdesk.incidents.routing import priority_for
from opsdesk.problems.models import (
    KNOWN_ERROR_STATES,
    FactorCategory,
    LinkVia,
    Problem,
    ProblemIncident,
    ProblemState,
    Recurrence,
    RecurrenceVia,
)
from opsdesk.problems.selectors import RECURRENCE_WINDOW

# What an edit of the record may change; state moves go through ``problem_transition``.
EDITABLE = {
    "short_description",
    "description",
    "impact",
    "urgency",
    "category",
    "problem_manager",
    "vendor_reference",
    "failure_timeline",
    "whys",
    "contributing_factors",
    "root_cause",
    "symptoms",
    "workaround",
    "workaround_public",
    "permanent_fix",
    "review_on",
}
MAX_WHYS = 10
MAX_FACTORS = 30
MAX_MESSAGE = 4000


def _checked(values: dict) -> dict:
    problems = {}
    whys = values.get("whys")
    if whys is not None:
        if not isinstance(whys, list) or not all(isinstance(w, str) for w in whys):
            problems["whys"] = ["Give the whys as a list of sentences."]
        elif len(whys) > MAX_WHYS:
            problems["whys"] = [f"At most {MAX_WHYS} whys."]
        else:
            values["whys"] = [w.strip() for w in whys if w.strip()]
    factors = values.get("contributing_factors")
    if factors is not None:
        valid = isinstance(factors, list) and len(factors) <= MAX_FACTORS
        for factor in factors if valid else []:
            if not (
                isinstance(factor, dict)
                and factor.get("category") in FactorCategory.values
                and isinstance(factor.get("text"), str)
                and factor["text"].strip()
            ):
                valid = False
        if not valid:
            choices = ", ".join(FactorCategory.values)
            problems["contributing_factors"] = [
                f"Each factor needs a category ({choices}) and a description."
            ]
    if problems:
        raise ValidationFailed("Some fields need another look.", fields=problems)
    return values


@transaction.atomic
def problem_create(
    *,
    actor,
    short_description: str,
    description: str = "",
    impact: int = 2,
    urgency: int = 2,
    category=None,
    assignment_group=None,
    assignee=None,
    problem_manager=None,
    services=(),
    cis=(),
    incidents=(),
    via: str = LinkVia.MANUAL,
    reason: str = "",
) -> Problem:
    """Raise a problem, optionally from incidents (linked with ``via`` and ``reason``)."""
    tickets.require_agent(actor)
    if not (short_description or "").strip():
        raise ValidationFailed(
            "Give the problem a title.", fields={"short_description": ["This is empty."]}
        )
    tickets.check_member(assignment_group, assignee)
    problem = tickets.ticket_create(
        ticket_type("problem"),
        actor=actor,
        values={
            "short_description": short_description.strip(),
            "description": description,
            "caller": actor,
            "impact": impact,
            "urgency": urgency,
            "priority": priority_for(impact=impact, urgency=urgency),
            "category": category,
            "assignment_group": assignment_group,
            "assignee": assignee,
            "problem_manager": problem_manager,
        },
        m2m={"services": [s.pk for s in services], "cis": [c.pk for c in cis]},
    )
    if incidents:
        _link(actor, problem, list(incidents), via=via, reason=reason)
    tickets.ticket_publish(problem, "opened", actor=actor)
    _manager_told(problem, actor=actor)
    return problem


def _manager_told(problem: Problem, *, actor) -> None:
    """The problem manager hears that a problem is theirs (notifications reads the fact)."""
    if problem.problem_manager_id:
        tickets.ticket_publish(
            problem,
            "manager_assigned",
            actor=actor,
            named_user_ids=[problem.problem_manager_id],
        )


def _link(actor, problem: Problem, incidents: list[Incident], *, via: str, reason: str) -> int:
    already = set(
        ProblemIncident.objects.filter(problem=problem).values_list("incident_id", flat=True)
    )
    new = [i for i in incidents if i.pk not in already]
    ProblemIncident.objects.bulk_create(
        [
            ProblemIncident(
                problem=problem, incident=i, linked_by=actor, reason=reason[:500], via=via
            )
            for i in new
        ]
    )
    now = timezone.now()
    for incident in new:
        timeline_add(
            record=incident,
            kind=TimelineKind.SYSTEM,
            author=actor,
            body=f"Linked to problem {problem.number}: {problem.short_description}"
            + (f" ({reason})" if reason else ""),
            data={"problem": problem.number},
            at=now,
        )
    if new:
        numbers = ", ".join(i.number for i in new)
        timeline_add(
            record=problem,
            kind=TimelineKind.SYSTEM,
            author=actor,
            body=f"Linked {numbers}" + (f": {reason}" if reason else ""),
            data={"linked": [i.number for i in new], "via": via},
            at=now,
        )
        tickets.ticket_publish(
            problem, "incidents_linked", actor=actor, incident_ids=[i.pk for i in new], via=via
        )
        problem_tally(problem)
        if via != LinkVia.RECURRENCE:
            # An agent linking an incident that came back after the fix flags it too.
            for incident in new:
                if recurs_after_fix(problem, incident):
                    _recurrence(actor, problem, incident, via=RecurrenceVia.LINKED)
    return len(new)


def recurs_after_fix(problem: Problem, incident: Incident) -> bool:
    """Opened after the problem's fix and within the recurrence window of it."""
    fixed = problem.fixed_at
    return fixed is not None and fixed <= incident.opened_at <= fixed + RECURRENCE_WINDOW


def _recurrence(actor, problem: Problem, incident: Incident, *, via: str) -> Recurrence | None:
    recurrence, created = Recurrence.objects.get_or_create(
        problem=problem, incident=incident, defaults={"via": via, "fixed_at": problem.fixed_at}
    )
    if not created:
        return None
    days = (incident.opened_at - recurrence.fixed_at).days
    timeline_add(
        record=problem,
        kind=TimelineKind.SYSTEM,
        author=actor,
        body=f"{incident.number} is a recurrence, {days} day{'s' if days != 1 else ''} after "
        f"the fix: {incident.short_description}",
        data={"recurrence": incident.number, "via": via},
        at=timezone.now(),
    )
    audit_record(
        action="problem.recurrence",
        obj=problem,
        changes={"recurrence": [None, incident.number], "via": [None, via]},
        actor=actor,
    )
    tickets.ticket_publish(
        problem, "recurrence", actor=actor, incident_id=incident.pk, via=via, days_after_fix=days
    )
    return recurrence


@transaction.atomic
def problem_recurrence_record(*, actor, problem: Problem, incident: Incident) -> bool:
    """Flag ``incident`` as the fixed known error coming back: it is linked to the problem
    (as a recurrence) and counted on it. Returns whether it was new; an incident outside
    the window after the fix is refused."""
    tickets.require_agent(actor)
    current = tickets.locked(problem)
    if not recurs_after_fix(current, incident):
        raise ValidationFailed(
            f"{incident.number} was not opened within "
            f"{RECURRENCE_WINDOW.days} days after {current.number} was fixed.",
            fields={"incident": ["Not a recurrence of this fix."]},
        )
    if Recurrence.objects.filter(problem=current, incident=incident).exists():
        return False
    _link(
        actor,
        current,
        [incident],
        via=LinkVia.RECURRENCE,
        reason=f"Came back after the fix of {current.number}",
    )
    return _recurrence(actor, current, incident, via=RecurrenceVia.MATCHED) is not None


@transaction.atomic
def problem_link_incidents(
    *, actor, problem: Problem, incidents, reason: str = "", via: str = LinkVia.MANUAL
) -> int:
    """Link incidents to the problem; returns how many were new."""
    tickets.require_agent(actor)
    current = tickets.locked(problem)
    tickets.require_visible(actor, current)
    if current.state in ticket_type("problem").workflow.final:
        raise ValidationFailed(
            f"{current.number} is {current.get_state_display().lower()}.",
            fields={"problem": ["Link incidents to an open problem."]},
        )
    incidents = list(incidents)
    if not incidents:
        raise ValidationFailed("Pick an incident to link.", fields={"incidents": ["None given."]})
    return _link(actor, current, incidents, via=via, reason=reason)


@transaction.atomic
def problem_unlink_incident(*, actor, problem: Problem, incident: Incident) -> None:
    tickets.require_agent(actor)
    deleted, _ = ProblemIncident.objects.filter(problem=problem, incident=incident).delete()
    if not deleted:
        raise ValidationFailed(
            f"{incident.number} is not linked.", fields={"incident": ["Not linked."]}
        )
    timeline_add(
        record=problem,
        kind=TimelineKind.SYSTEM,
        author=actor,
        body=f"Unlinked {incident.number}.",
        data={"unlinked": incident.number},
        at=timezone.now(),
    )
    problem_tally(problem)


def problem_tally(problem: Problem) -> None:
    """Recount the impact: linked incidents, the outage minutes of their major incidents'
    reviews, and the distinct people who called them in."""
    links = ProblemIncident.objects.filter(problem=problem)
    incident_ids = links.values("incident_id")
    counts = links.aggregate(n=Count("pk"), people=Count("incident__caller", distinct=True))
    minutes = 0
    for start, end in PostIncidentReview.objects.filter(incident__in=incident_ids).values_list(
        "outage_start", "outage_end"
    ):
        minutes += max(int((end - start).total_seconds() // 60), 0)
    Problem.objects.filter(pk=problem.pk).update(
        incident_count=counts["n"], people_affected=counts["people"], outage_minutes=minutes
    )


@transaction.atomic
def problem_update(*, actor, problem: Problem, expected_version=None, **values) -> Problem:
    """Change the record's fields (analysis, known error); the priority follows the matrix."""
    tickets.require_agent(actor)
    unknown = set(values) - EDITABLE
    if unknown:
        raise ValidationFailed(
            "These fields cannot be changed here.", fields={f: ["Read-only."] for f in unknown}
        )
    current = tickets.locked(problem, expected_version)
    tickets.require_visible(actor, current)
    values = _checked(values)
    impact = values.get("impact", current.impact)
    urgency = values.get("urgency", current.urgency)
    old_priority = current.priority
    old_manager_id = current.problem_manager_id
    values["priority"] = priority_for(impact=impact, urgency=urgency)
    updated = record_update(
        current, values=values, actor=actor, action="problem.updated", locked=True
    )
    if updated.problem_manager_id != old_manager_id:
        _manager_told(updated, actor=actor)
    if updated.priority != old_priority:
        now = timezone.now()
        tickets.ticket_note_change(
            updated, field="priority", old=old_priority, new=updated.priority, actor=actor, at=now
        )
        ticket_type("problem").clocks.priority_changed(
            updated, from_priority=old_priority, to_priority=updated.priority, at=now
        )
    tickets.ticket_publish(updated, "updated", actor=actor, fields=sorted(values))
    return updated


@transaction.atomic
def problem_transition(
    *,
    actor,
    problem: Problem,
    action: str,
    expected_version=None,
    reason: str = "",
    review_on=None,
    resolve_incidents: bool = False,
    message: str = "",
) -> Problem:
    """Move the problem. On "resolve" (which marks the known error fixed), with
    ``resolve_incidents`` its linked open incidents are resolved too, each on its own with
    ``message`` to its caller (``flows`` reacts to one fact per incident)."""
    message = (message or "").strip()
    if resolve_incidents:
        if action != "resolve":
            raise ValidationFailed(
                "Only resolving a problem resolves its incidents.",
                fields={"resolve_incidents": ["Only with the resolve move."]},
            )
        if not message:
            raise ValidationFailed(
                "Tell the callers what was fixed.",
                fields={"message": ["Write the message the callers receive."]},
            )
        if len(message) > MAX_MESSAGE:
            raise ValidationFailed(
                "The message is too long.",
                fields={"message": [f"At most {MAX_MESSAGE} characters."]},
            )
    moved = tickets.ticket_transition(
        actor=actor,
        record=problem,
        action=action,
        expected_version=expected_version,
        reason=reason,
        review_on=review_on,
    )
    if action == "resolve" and moved.published_at is not None:
        # The published article says the permanent fix from now on.
        moved = known_error_publish(actor=actor, problem=moved)
    if resolve_incidents:
        incidents = list(open_incidents_of(moved).values_list("pk", flat=True))
        outbox_publish_many(
            [
                (
                    "problem.incident_resolution_requested",
                    {
                        "problem_id": moved.pk,
                        "number": moved.number,
                        "incident_id": pk,
                        "message": message,
                        "actor_id": getattr(actor, "pk", None),
                    },
                )
                for pk in incidents
            ]
        )
        timeline_add(
            record=moved,
            kind=TimelineKind.SYSTEM,
            author=actor,
            body=f"Resolving its {len(incidents)} open incident{'s' if len(incidents) != 1 else ''}"
            f" with this message to their callers:\n{message}",
            data={"resolving_incidents": len(incidents)},
            at=timezone.now(),
        )
    return moved


def open_incidents_of(problem: Problem):
    """The problem's linked incidents that are still open, oldest first."""
    return Incident.objects.filter(problem_links__problem=problem, state__in=OPEN_STATES).order_by(
        "pk"
    )


# Where a published known error can be: found and not yet worked away, or fixed.
PUBLISHABLE = (*KNOWN_ERROR_STATES, ProblemState.RESOLVED, ProblemState.CLOSED)


@transaction.atomic
def known_error_publish(*, actor, problem: Problem, expected_version=None) -> Problem:
    """Publish the known error to the knowledge base: the service desk writes (or, published
    again, updates) its known-error article from the fact, visible to agents and, when the
    workaround is safe for them, to requesters."""
    tickets.require_agent(actor)
    current = tickets.locked(problem, expected_version)
    tickets.require_visible(actor, current)
    if current.state not in PUBLISHABLE:
        raise ValidationFailed(
            f"{current.number} is not a known error yet.",
            fields={"state": ["Record the problem as a known error first."]},
        )
    from opsdesk.problems.workflow import needs_known_error

    missing = needs_known_error(current)
    if missing:
        raise ValidationFailed(
            "The known error is incomplete.", fields={k: [v] for k, v in missing.items()}
        )
    again = current.published_at is not None
    updated = record_update(
        current,
        values={"published_at": timezone.now()},
        actor=actor,
        action="problem.known_error_published",
        locked=True,
    )
    outbox_publish(
        topic="problem.known_error_published",
        payload={
            "problem_id": updated.pk,
            "number": updated.number,
            "title": updated.short_description,
            "symptoms": updated.symptoms,
            "root_cause": updated.root_cause,
            "workaround": updated.workaround,
            "workaround_public": updated.workaround_public,
            "permanent_fix": updated.permanent_fix,
            "fixed_at": updated.fixed_at,
            "state_label": updated.get_state_display(),
            "service_ids": list(updated.services.values_list("pk", flat=True)),
            "actor_id": getattr(actor, "pk", None),
        },
    )
    timeline_add(
        record=updated,
        kind=TimelineKind.SYSTEM,
        author=actor,
        body="Published the known error again to the knowledge base."
        if again
        else "Published the known error to the knowledge base.",
        data={"published": True},
        at=updated.published_at,
    )
    return updated


@transaction.atomic
def problem_from_review(*, actor, review: PostIncidentReview) -> Problem:
    """A major incident's review becomes a problem: its findings and actions carry over."""
    incident = review.incident
    description = "\n\n".join(
        part
        for part in (
            f"From the review of {incident.number}.",
            f"Summary:\n{review.summary}" if review.summary else "",
            f"Impact:\n{review.impact}" if review.impact else "",
            f"Follow-up actions:\n{review.follow_up_actions}" if review.follow_up_actions else "",
        )
        if part
    )
    problem = problem_create(
        actor=actor,
        short_description=incident.short_description,
        description=description,
        impact=incident.impact,
        urgency=incident.urgency,
        category=incident.category,
        assignment_group=incident.assignment_group,
        services=list(incident.affected_services.all()),
        cis=[incident.ci] if incident.ci_id else [],
        incidents=[incident],
        via=LinkVia.REVIEW,
        reason="Raised from the post-incident review",
    )
    if review.timeline or review.root_cause:
        problem = problem_update(
            actor=actor,
            problem=problem,
            failure_timeline=review.timeline,
            root_cause=review.root_cause,
        )
    return problem


@transaction.atomic
def known_error_apply(*, actor, problem: Problem, incident: Incident) -> Incident:
    """The desk applies a known error's workaround to an incident in one step: the incident is
    linked to the problem, the caller gets the workaround, and it is resolved as worked around
    (it counts for first-contact resolution and for incidents resolved by known error)."""
    from opsdesk.incidents.models import ResolutionCode
    from opsdesk.incidents.services import incident_transition

    tickets.require_agent(actor)
    if not problem.is_known_error or not (problem.workaround or "").strip():
        raise ValidationFailed(
            f"{problem.number} has no workaround to apply.",
            fields={"problem": ["Pick a known error with a workaround."]},
        )
    _link(actor, problem, [incident], via=LinkVia.WORKAROUND, reason="Workaround applied")
    code = ResolutionCode.objects.filter(key="workaround_applied", active=True).first()
    notes = f"Known error {problem.number}: {problem.short_description}\n\n{problem.workaround}"
    if code is None:
        tickets.ticket_comment(actor=actor, record=incident, body=notes)
        return incident
    return incident_transition(
        actor=actor,
        incident=incident,
        action="resolve",
        resolution_code=code,
        resolution_notes=notes,
    )
