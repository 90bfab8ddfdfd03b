from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "opsdesk.incidents"
    label = "incidents"
    nav_items = [("Incidents", "incidents:queue-default", "agent")]

    def ready(self):
        # Outbox handlers: escalation reacts to the SLA engine's warnings and breaches.
        from opsdesk.incidents import escalation  # noqa: F401

        _register_search()
        _register_hold_reasons()


def _register_hold_reasons():
    from opsdesk.incidents.models import HoldReason, State
    from opsdesk.sla.hold_reasons import register_hold_reasons, register_states

    register_hold_reasons(
        record_type="incident",
        choices=HoldReason.choices,
        pause_by_default={HoldReason.AWAITING_CALLER},
    )
    register_states(record_type="incident", choices=State.choices)


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
