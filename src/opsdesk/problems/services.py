"""Every write of problem management: raising, linking incidents, analysis, moves.

Problems are the desk's own records: agents and problem managers write them. Linking an
incident records who linked it and why on both records and keeps the problem's impact tally.
"""

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import TimelineKind
from opsdesk.core.records import record_update
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import ticket_type
from opsdesk.core.timeline import timeline_add
from opsdesk.incidents.models import Incident, PostIncidentReview
from opsdesk.incidents.routing import priority_for
from opsdesk.problems.models import FactorCategory, LinkVia, Problem, ProblemIncident

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
    return problem


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
    return len(new)


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
    values["priority"] = priority_for(impact=impact, urgency=urgency)
    updated = record_update(
        current, values=values, actor=actor, action="problem.updated", locked=True
    )
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
    *, actor, problem: Problem, action: str, expected_version=None, reason: str = "", review_on=None
) -> Problem:
    return tickets.ticket_transition(
        actor=actor,
        record=problem,
        action=action,
        expected_version=expected_version,
        reason=reason,
        review_on=review_on,
    )


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
