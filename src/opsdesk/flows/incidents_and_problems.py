"""The journeys between incidents and problems.

1. A problem is resolved with "resolve its linked open incidents": problems publishes one
   ``problem.incident_resolution_requested`` per incident, so each incident is resolved in its
   own transaction (one that cannot be resolved holds up none of the others, and is retried
   alone), as the system, with the problem manager's message as the resolution its caller
   is sent.
2. A new incident that looks like a known error fixed in the last 30 days (same service or
   CI, and its words) is flagged as a recurrence on that problem.

Handlers are idempotent: the outbox delivers at least once.
"""

from django.db import transaction

from opsdesk.core import context
from opsdesk.core.audit import audit_record
from opsdesk.core.outbox import outbox_handler
from opsdesk.incidents.models import OPEN_STATES, Incident, ResolutionCode, State
from opsdesk.incidents.services import incident_transition
from opsdesk.problems.models import Problem
from opsdesk.problems.selectors import recurrence_matches
from opsdesk.problems.services import problem_recurrence_record

RESOLUTION_CODE = "solved_permanently"


@outbox_handler("problem.incident_resolution_requested")
def resolve_problem_incident(*, event_id, topic, payload):
    """Resolve one incident of a resolved problem, with the message to its caller."""
    incident = Incident.objects.filter(pk=payload.get("incident_id")).first()
    problem = Problem.objects.filter(pk=payload.get("problem_id")).first()
    if incident is None or problem is None or incident.state not in OPEN_STATES:
        return  # resolved meanwhile (or on redelivery): nothing left to do
    code = ResolutionCode.objects.filter(key=RESOLUTION_CODE, active=True).first()
    notes = f"{payload.get('message', '').strip()}\n\n(Fixed by problem {problem.number}.)"
    with context.as_system():
        if incident.state == State.ON_HOLD:
            incident = incident_transition(
                actor=None, incident=incident, action="resume", reason=f"{problem.number} fixed"
            )
        incident = incident_transition(
            actor=None,
            incident=incident,
            action="resolve",
            resolution_code=code,
            resolution_notes=notes,
        )
        audit_record(
            action="problem.incident_resolved",
            obj=incident,
            changes={"problem": [None, problem.number]},
        )


@outbox_handler("incident.opened")
def flag_recurrence(*, event_id, topic, payload):
    """A new incident like a recently fixed known error is a recurrence of its problem."""
    incident = Incident.objects.filter(pk=payload.get("incident_id")).first()
    if incident is None or not (incident.service_id or incident.ci_id):
        return  # recurrence needs the same service or CI
    for problem in recurrence_matches(incident=incident):
        with transaction.atomic(), context.as_system():
            problem_recurrence_record(actor=None, problem=problem, incident=incident)
