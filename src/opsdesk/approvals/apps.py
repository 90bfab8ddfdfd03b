from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "opsdesk.approvals"
    label = "approvals"
    verbose_name = "Approvals"
    nav_items = [
        ("My approvals", "approvals:inbox", "approver"),
        ("Approval schemes", "approvals:schemes", "admin"),
    ]

    def ready(self):
        # Imported for its side effect: the periodic sweep registers with the worker.
        from opsdesk.approvals import tasks  # noqa: F401
