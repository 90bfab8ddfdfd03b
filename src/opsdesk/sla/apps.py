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

        _time_tasks()


def _time_tasks():
    """Core's TASK type gets SLA clocks here: core sits below the SLA engine."""
    from opsdesk.core.models import TaskState
    from opsdesk.core.tickets.registry import attach_clocks, ticket_type
    from opsdesk.sla.hold_reasons import register_states
    from opsdesk.sla.tickets import TicketClocks

    task = ticket_type("task")
    attach_clocks("task", TicketClocks(record_type="task", workflow=task.workflow))
    register_states(record_type="task", choices=TaskState.choices)
