"""Event management: ingest monitoring events, de-duplicate, correlate, suppress, heartbeats."""

from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "opsdesk.events"
    label = "events"
    nav_items = [("Alerts", "events:console", "agent")]

    def ready(self):
        # Registers the wake-up of the worker after events are accepted.
        from opsdesk.events import tasks  # noqa: F401
