from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "opsdesk.sla"
    label = "sla"
    verbose_name = "Service levels"
    nav_items = [
        ("Calendars", "sla:calendar-list", "agent"),
        ("SLA policies", "sla:policy-list", "agent"),
    ]

    def ready(self):
        # Registers the periodic SLA check with the worker.
        from opsdesk.sla import tasks  # noqa: F401
