"""Journeys that cross domains: event -> incident, incident -> problem, resolution -> survey."""

from django.apps import AppConfig


class FlowsConfig(AppConfig):
    name = "opsdesk.flows"
    label = "flows"
    nav_items = []

    def ready(self):
        # Outbox handlers: alerts open, join and resolve incidents.
        from opsdesk.flows import events_to_incidents  # noqa: F401
