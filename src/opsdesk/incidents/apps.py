from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "opsdesk.incidents"
    label = "incidents"
    nav_items = [("Incidents", "incidents:queue-default", "agent")]

    def ready(self):
        # Outbox handlers: escalation reacts to the SLA engine's warnings and breaches.
        from opsdesk.incidents import escalation  # noqa: F401
