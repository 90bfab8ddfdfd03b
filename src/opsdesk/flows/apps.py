"""Journeys that cross domains: event -> incident, incident -> problem, resolution -> survey."""

from django.apps import AppConfig


class FlowsConfig(AppConfig):
    name = "opsdesk.flows"
    label = "flows"
    nav_items = []

    def ready(self):
        # Outbox handlers: alerts open, join and resolve incidents; a resolved problem
        # resolves its incidents, and a fixed known error coming back is a recurrence.
        from opsdesk.flows import events_to_incidents, incidents_and_problems  # noqa: F401
