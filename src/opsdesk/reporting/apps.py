from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "opsdesk.reporting"
    label = "reporting"
    nav_items = [("Reports", "reporting:home", "agent")]

    def ready(self):
        from django.db.backends.signals import connection_created

        # Imported for their side effects: outbox handlers and worker tasks register here.
        from opsdesk.reporting import handlers, tasks  # noqa: F401
        from opsdesk.reporting.aggregates import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="opsdesk-percentile")
