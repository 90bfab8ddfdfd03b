from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opsdesk.core"
    label = "core"
    verbose_name = "Core"
    # Navigation entries this app adds: (label, url name, who sees it: "agent" or "all").
    nav_items = [("People", "core:user-list", "agent"), ("Teams", "core:team-list", "agent")]

    def ready(self):
        # Imported for their side effects: system checks, and waking the worker on publish.
        from opsdesk.core import checks, tasks  # noqa: F401
