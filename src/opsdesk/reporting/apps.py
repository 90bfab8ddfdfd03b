from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "opsdesk.reporting"
    label = "reporting"
    nav_items = [
        ("Dashboards", "reporting:home", "agent"),
        ("Report builder", "reporting:builder", "agent"),
        ("Saved reports", "reporting:saved-reports", "agent"),
        ("My subscriptions", "reporting:subscriptions", "agent"),
        ("Improvement register", "reporting:improvements", "agent"),
        ("Service hours", "reporting:service_hours", "admin"),
    ]

    def ready(self):
        from django.db.backends.signals import connection_created

        # Imported for their side effects: outbox handlers and worker tasks register here.
        from opsdesk.reporting import handlers, tasks  # noqa: F401
        from opsdesk.reporting.aggregates import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="opsdesk-percentile")

        from opsdesk.core.tickets.registry import add_panel

        # On a problem: the improvement actions raised from it, and raising one.
        add_panel(
            "problem",
            slot="after_details",
            template="reporting/improvement/_problem_panel.html",
            order=50,
        )
        # On a major incident with its post-incident review: the follow-ups the team owns.
        add_panel(
            "incident",
            slot="after_details",
            template="reporting/improvement/_review_panel.html",
            order=60,
        )
