"""The single point of contact: self-service portal, inbound email, knowledge base, CSAT."""

from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "opsdesk.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"
    nav_items = [
        ("Portal", "servicedesk:home", "all"),
        ("My work", "servicedesk:my-work", "agent"),
        ("Knowledge", "servicedesk:kb-manage", "agent"),
        ("Canned responses", "servicedesk:canned-list", "agent"),
        ("Unprocessed mail", "servicedesk:unprocessed", "agent"),
    ]

    def ready(self):
        # Outbox handlers: a resolved incident asks its caller for feedback.
        from opsdesk.servicedesk import handlers  # noqa: F401
