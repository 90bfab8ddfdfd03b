"""Reactions to other domains' facts, delivered by the outbox (at least once, so idempotent)."""

from opsdesk.core.outbox import outbox_handler
from opsdesk.incidents.models import Incident
from opsdesk.servicedesk.surveys import survey_request


@outbox_handler("incident.resolved")
def ask_for_feedback(*, event_id, topic, payload):
    incident = Incident.objects.filter(pk=payload.get("incident_id")).first()
    if incident is not None:
        survey_request(incident=incident)
