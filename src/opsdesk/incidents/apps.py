from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "opsdesk.incidents"
    label = "incidents"
    nav_items = [("Incidents", "incidents:queue-default", "agent")]

    def ready(self):
        # Outbox handlers: escalation reacts to the SLA engine's warnings and breaches.
        from opsdesk.incidents import escalation  # noqa: F401

        _register_ticket_type()
        _add_panels()
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


def _add_panels():
    from opsdesk.core.tickets.registry import add_panel

    # Work handed out from an incident to other teams, as core tasks.
    add_panel("incident", slot="after_details", template="core/tasks/_panel.html", order=10)


def _register_ticket_type():
    from django.urls import reverse

    from opsdesk.core.tickets.registry import TicketType, register
    from opsdesk.incidents.clocks import INCIDENT_CLOCKS
    from opsdesk.incidents.models import OPEN_STATES, HoldReason, Incident
    from opsdesk.incidents.selectors import incident_list
    from opsdesk.incidents.workflow import INCIDENT_WORKFLOW

    register(
        TicketType(
            key="incident",
            label="Incident",
            model=Incident,
            prefix=Incident.NUMBER_PREFIX,
            workflow=INCIDENT_WORKFLOW,
            url=lambda record: reverse("incidents:detail", args=[record.pk]),
            portal_url=lambda record: reverse("servicedesk:ticket", args=[record.pk]),
            queue_url=lambda: reverse("incidents:queue-default"),
            visible_to=lambda record, user: record.is_visible_to(user),
            visible=lambda viewer: incident_list(viewer=viewer),
            # As migration 0007's FullTextIndex has them: change both together.
            search_fields={"short_description": "A", "description": "C", "resolution_notes": "C"},
            open_states=frozenset(OPEN_STATES),
            caller_hold_reasons=frozenset({HoldReason.AWAITING_CALLER}),
            survey_states=INCIDENT_WORKFLOW.resolved,
            clocks=INCIDENT_CLOCKS,
        )
    )
