from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opsdesk.core"
    label = "core"
    verbose_name = "Core"
    # Navigation entries this app adds: (label, url name, who sees it: "agent" or "all").
    nav_items = [
        ("People", "core:user-list", "agent"),
        ("Teams", "core:team-list", "agent"),
        ("Forms", "core:formschema-list", "admin"),
        ("Style guide", "core:styleguide", "admin"),
    ]

    def ready(self):
        # Imported for their side effects: system checks, waking the worker on publish, and
        # the audit table's guard on SQLite connections.
        from opsdesk.core import audit, checks, tasks  # noqa: F401
        from opsdesk.core.tickets.task import register_task_type

        # TASK is core's own record type: any ticket hands work out as tasks.
        register_task_type()
