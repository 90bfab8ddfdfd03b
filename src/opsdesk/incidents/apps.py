from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "opsdesk.incidents"
    label = "incidents"
    nav_items = [("Incidents", "incidents:queue-default", "agent")]

    def ready(self):
        # Outbox handlers: escalation reacts to the SLA engine's warnings and breaches.
        from opsdesk.incidents import escalation  # noqa: F401

        _register_search()


def _register_search():
    from django.urls import reverse

    from opsdesk.core.search import RecordType, register
    from opsdesk.incidents.models import Incident
    from opsdesk.incidents.selectors import incident_list

    register(
        RecordType(
            key="incident",
            label="Incident",
            model=Incident,
            prefix=Incident.NUMBER_PREFIX,
            # As migration 0007's FullTextIndex has them: change both together.
            fields={"short_description": "A", "description": "C", "resolution_notes": "C"},
            visible=lambda viewer: incident_list(viewer=viewer),
            # The agent's record page; servicedesk sends requesters to the portal instead.
            url=lambda record, viewer: reverse("incidents:detail", args=[record.pk]),
            title=lambda record: record.short_description,
        )
    )
